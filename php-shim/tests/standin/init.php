<?php
/**
 * A stand-in for the parts of the WHMCS admin area the ostor-bridge addon uses, so the addon and
 * its hook run in a real browser without WHMCS. It is test-only: it has no real login.
 *
 * Settings come from the environment of `php -S`:
 *   OSTORBRIDGE_STANDIN_CONFIGURATION  the OSTOR_BRIDGE_RPC_* constants of configuration.php, as
 *                                      configuration.php describes
 *   OSTORBRIDGE_STANDIN_SETTINGS       JSON object of the addon settings (daemon_address,
 *                                      rpc_secret); used when the constants are not set
 */

define('WHMCS', true);

// WHMCS reads configuration.php before any module code runs.
require __DIR__ . '/configuration.php';

session_name('standin');
session_start();

$GLOBALS['standin_hooks'] = [];

function add_hook($hookPoint, $priority, $callback)
{
    $GLOBALS['standin_hooks'][$hookPoint][] = [$priority, $callback];
}

/** Runs the callbacks of a hook point, lowest priority first, and returns their results. */
function run_hook($hookPoint, array $vars)
{
    $hooks = $GLOBALS['standin_hooks'][$hookPoint] ?? [];
    usort($hooks, function ($a, $b) {
        return $a[0] <=> $b[0];
    });
    $results = [];
    foreach ($hooks as $hook) {
        $results[] = call_user_func($hook[1], $vars);
    }
    return $results;
}

/** Returns the session's CSRF token as WHMCS's generate_token does for 'plain' and 'form'. */
function generate_token($type = 'form')
{
    if (empty($_SESSION['token'])) {
        $_SESSION['token'] = bin2hex(random_bytes(20));
    }
    $token = $_SESSION['token'];
    if ($type === 'plain') {
        return $token;
    }
    if ($type === 'link') {
        return '&token=' . $token;
    }
    return '<input type="hidden" name="token" value="' . htmlspecialchars($token, ENT_QUOTES) . '">';
}

/** Compares the posted token with the session's token. */
function check_token($namespace = 'WHMCS.admin.default')
{
    $posted = $_POST['token'] ?? '';
    return is_string($posted) && !empty($_SESSION['token']) && hash_equals($_SESSION['token'], $posted);
}

/** Returns GetAdminDetails of the logged-in stand-in admin. Other commands return an error. */
function localAPI($command, array $values = [], $adminUser = '')
{
    if ($command !== 'GetAdminDetails' || empty($_SESSION['adminid'])) {
        return ['result' => 'error', 'message' => 'not available in the stand-in'];
    }
    return [
        'result' => 'success',
        'adminid' => $_SESSION['adminid'],
        'allowedpermissions' => implode(',', $_SESSION['standin_permissions'] ?? []),
    ];
}

function standin_settings()
{
    $settings = json_decode((string) getenv('OSTORBRIDGE_STANDIN_SETTINGS'), true);
    return is_array($settings) ? $settings : [];
}

function standin_header($title)
{
    header('Content-Type: text/html; charset=utf-8');
    echo '<!DOCTYPE html><html><head><meta charset="utf-8"><title>' . htmlspecialchars($title) . '</title>',
        '<style>body{font-family:sans-serif;margin:16px;background:#f8f8f8}.btn{cursor:pointer}</style></head><body>',
        '<div id="standin-header">WHMCS stand-in admin area: admin #', (int) ($_SESSION['adminid'] ?? 0),
        ', CSRF token <code id="standin-token">', htmlspecialchars($_SESSION['token'] ?? ''), '</code></div>';
}

function standin_footer()
{
    echo '</body></html>';
}
