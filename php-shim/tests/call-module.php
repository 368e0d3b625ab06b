<?php
/**
 * Calls one function of the ostor-bridge server module the way WHMCS does, outside WHMCS.
 *
 * Usage: php call-module.php FUNCTION < params.json
 *   FUNCTION     the module function without prefix: CreateAccount, TestConnection, ...
 *   params.json  the WHMCS $params array as a JSON object (serviceid, serverhostname,
 *                serverport, serversecure, serverpassword, ...)
 *
 * Prints the function's return value as JSON on stdout, and exits 0 when the module ran (the
 * return value itself may be an error message), 2 on bad usage.
 */

define('WHMCS', true);

require __DIR__ . '/../modules/servers/ostorbridge/ostorbridge.php';

if ($argc !== 2 || !preg_match('/^[A-Za-z]+$/', $argv[1])) {
    fwrite(STDERR, "usage: php call-module.php FUNCTION < params.json\n");
    exit(2);
}
$function = 'ostorbridge_' . $argv[1];
if (!function_exists($function)) {
    fwrite(STDERR, "the module has no function $function\n");
    exit(2);
}
$params = json_decode(stream_get_contents(STDIN), true);
if (!is_array($params)) {
    fwrite(STDERR, "stdin must hold the module parameters as a JSON object\n");
    exit(2);
}

echo json_encode($function($params), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
