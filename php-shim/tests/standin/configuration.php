<?php
/**
 * Stand-in for WHMCS's configuration.php. It defines the OSTOR_BRIDGE_RPC_* constants that the
 * README's install steps add to that file, taking them from the environment of `php -S`:
 *
 *   OSTORBRIDGE_STANDIN_CONFIGURATION  JSON object of constant names and values, e.g.
 *                                      {"OSTOR_BRIDGE_RPC_HOST": "127.0.0.1:7380", ...}
 */

$standinConfiguration = json_decode((string) getenv('OSTORBRIDGE_STANDIN_CONFIGURATION'), true);
foreach (is_array($standinConfiguration) ? $standinConfiguration : [] as $name => $value) {
    if (!in_array($name, ['OSTOR_BRIDGE_RPC_HOST', 'OSTOR_BRIDGE_RPC_PORT', 'OSTOR_BRIDGE_RPC_SECRET'], true)) {
        http_response_code(500);
        exit('OSTORBRIDGE_STANDIN_CONFIGURATION names ' . $name . ', which configuration.php does not define; use OSTOR_BRIDGE_RPC_HOST, OSTOR_BRIDGE_RPC_PORT or OSTOR_BRIDGE_RPC_SECRET.');
    }
    define($name, (string) $value);
}
unset($standinConfiguration);
