<?php
/** Stand-in client summary page: runs the AdminAreaClientSummaryPage hooks of active addons. */

require __DIR__ . '/init.php';
require __DIR__ . '/WHMCS/Database/Capsule.php';
require __DIR__ . '/../../modules/addons/ostorbridge/hooks.php';

$userid = (int) ($_GET['userid'] ?? 0);
standin_header('Client summary');
echo '<h1>Client #', $userid, '</h1>';
foreach (run_hook('AdminAreaClientSummaryPage', ['userid' => $userid]) as $html) {
    echo $html;
}
standin_footer();
