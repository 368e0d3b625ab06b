<?php
/** Stand-in addon page: calls NAME_output($vars) of the requested addon, as WHMCS does. */

require __DIR__ . '/init.php';

if (($_GET['module'] ?? '') !== 'ostorbridge') {
    http_response_code(404);
    exit('unknown addon module');
}
if (empty($_SESSION['adminid'])) {
    http_response_code(403);
    exit('not logged in');
}
require __DIR__ . '/../../modules/addons/ostorbridge/ostorbridge.php';

// WHMCS sends the redirect before any page output; buffering keeps that order here.
ob_start();
standin_header('ostor-bridge');
ostorbridge_output(standin_settings() + ['modulelink' => 'addonmodules.php?module=ostorbridge', 'version' => '1.0']);
standin_footer();
ob_end_flush();
