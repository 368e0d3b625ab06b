<?php
/**
 * The WHMCS admin functions the addon calls, for the PHPUnit tests. The browser tests run the
 * full WHMCS stand-in instead; these let a test choose the token ($GLOBALS['addon_test_token'])
 * and the admin's permissions ($GLOBALS['addon_test_permissions']) directly.
 */

if (!function_exists('generate_token')) {
    function generate_token($type = 'form')
    {
        return $GLOBALS['addon_test_token'] ?? '';
    }
}
if (!function_exists('check_token')) {
    function check_token($namespace = 'WHMCS.admin.default')
    {
        return isset($_POST['token']) && $_POST['token'] === ($GLOBALS['addon_test_token'] ?? null);
    }
}
if (!function_exists('localAPI')) {
    function localAPI($command, array $values = [], $adminUser = '')
    {
        if ($command !== 'GetAdminDetails') {
            return ['result' => 'error'];
        }
        return ['result' => 'success', 'allowedpermissions' => implode(',', $GLOBALS['addon_test_permissions'] ?? [])];
    }
}
