<?php
/**
 * Stand-in login: ?adminid=N&permissions=Name1,Name2 starts an admin session with those WHMCS
 * permission names. Tests use it to play admins with and without a permission.
 */

require __DIR__ . '/init.php';

session_regenerate_id(true);
$_SESSION = [];
$_SESSION['adminid'] = (int) ($_GET['adminid'] ?? 0);
$_SESSION['standin_permissions'] = array_values(array_filter(array_map('trim', explode(',', (string) ($_GET['permissions'] ?? '')))));
generate_token('plain');

standin_header('Logged in');
echo '<p id="logged-in">Logged in as admin #', $_SESSION['adminid'], '.</p>';
standin_footer();
