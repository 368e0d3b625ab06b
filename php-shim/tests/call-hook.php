<?php
/**
 * Runs one hook of the ostor-bridge server module the way WHMCS does, outside WHMCS.
 *
 * Usage: php call-hook.php HOOK < vars.json
 *   HOOK       ClientEdit, AfterClientMerge or ServiceDelete
 *   vars.json  the hook's $vars array as a JSON object
 *
 * The daemon address comes from the OSTOR_BRIDGE_RPC_HOST, OSTOR_BRIDGE_RPC_PORT and
 * OSTOR_BRIDGE_RPC_SECRET environment variables, which the module reads where configuration.php
 * defines no constants of those names. Prints the daemon's result as JSON, or null when
 * the hook failed (the failure goes to stderr), and exits 0; 2 on bad usage.
 */

define('WHMCS', true);

/** Stands in for WHMCS's activity log, which is where hook failures are reported. */
function logActivity($message)
{
    fwrite(STDERR, $message . "\n");
}

require __DIR__ . '/../modules/servers/ostorbridge/hooks.php';

if ($argc !== 2 || !preg_match('/^[A-Za-z]+$/', $argv[1])) {
    fwrite(STDERR, "usage: php call-hook.php HOOK < vars.json\n");
    exit(2);
}
$function = 'ostorbridge_hook_' . $argv[1];
if (!function_exists($function)) {
    fwrite(STDERR, "the module has no hook $function\n");
    exit(2);
}
$vars = json_decode(stream_get_contents(STDIN), true);
if (!is_array($vars)) {
    fwrite(STDERR, "stdin must hold the hook variables as a JSON object\n");
    exit(2);
}

echo json_encode($function($vars), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
