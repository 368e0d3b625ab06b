<?php
/**
 * Hooks of the ostor-bridge addon. WHMCS loads this file on every page once the addon is active.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/Addon.php';

use OstorBridge\Addon\Addon;

// The S3 panel on the client summary page: one Admin.Summary RPC, whose HTML the daemon renders
// with every value escaped. Its forms post to the addon page, never to this hook.
add_hook('AdminAreaClientSummaryPage', 1, function (array $vars) {
    try {
        return Addon::summary($vars);
    } catch (\Throwable $e) {
        return '<div class="alert alert-danger">' . htmlspecialchars('The S3 panel is not available: ' . $e->getMessage(), ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8') . '</div>';
    }
});
