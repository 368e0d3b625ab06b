<?php
/**
 * ostor-bridge WHMCS hooks: client email changes, client merges and deleted services.
 *
 * Each hook forwards one JSON-RPC call to the daemon, which does the work. Hooks receive no
 * server record, so they find the daemon in WHMCS's configuration.php or the addon's settings,
 * as lib/Settings.php describes. Module functions and the addon use the same settings.
 *
 * Hook failures never stop the WHMCS action that fired them: they are written to the activity
 * log and the module log instead, with the daemon's message.
 */

if (!defined('WHMCS') && !defined('OSTORBRIDGE_TESTING')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/Settings.php';

use OstorBridge\Settings;

/**
 * ClientEdit: when the email changed, sends the change to the daemon, which keeps every S3 user
 * on its stored identity and logs the change. The layout of olddata is not documented, so a missing old email
 * counts as unchanged.
 */
function ostorbridge_hook_ClientEdit(array $vars)
{
    $clientId = (int) ($vars['userid'] ?? 0);
    $newEmail = trim((string) ($vars['email'] ?? ''));
    $oldEmail = trim((string) ($vars['olddata']['email'] ?? ''));
    if ($clientId <= 0 || $oldEmail === '' || strcasecmp($oldEmail, $newEmail) === 0) {
        return null;
    }
    return ostorbridge_hookCall('ClientEdit', 'Client.EmailChanged', [
        'client_id' => $clientId,
        'old_email' => $oldEmail,
        'new_email' => $newEmail,
    ]);
}

/** AfterClientMerge: the S3 identities of the merged client follow their services. */
function ostorbridge_hook_AfterClientMerge(array $vars)
{
    return ostorbridge_hookCall('AfterClientMerge', 'Client.Merged', [
        'from_client_id' => (int) ($vars['fromUserID'] ?? 0),
        'to_client_id' => (int) ($vars['toUserID'] ?? 0),
    ]);
}

/**
 * ServiceDelete: a service record is deleted without TerminateAccount. The daemon disables its
 * S3 user and keeps the data; services of other modules have no S3 user and are left alone.
 */
function ostorbridge_hook_ServiceDelete(array $vars)
{
    $serviceId = (int) ($vars['serviceid'] ?? 0);
    if ($serviceId <= 0) {
        return null;
    }
    return ostorbridge_hookCall('ServiceDelete', 'Service.Deleted', ['service_id' => $serviceId]);
}

/**
 * Sends one hook RPC. Returns the daemon's result, or null after a failure. A failure, a missing
 * daemon configuration included, is written to the activity log and the module log, so a hook
 * that had work to do never fails silently.
 */
function ostorbridge_hookCall($hook, $method, array $request)
{
    $secret = '';
    ob_start();
    try {
        $settings = Settings::load();
        $secret = $settings->secret();
        $reply = $settings->client()->call($method, $request);
        ostorbridge_hookLog($hook, $request, $reply, $secret);
        return $reply;
    } catch (\Throwable $e) {
        ostorbridge_hookLog($hook, $request, ['error' => $e->getMessage()], $secret);
        if (function_exists('logActivity')) {
            logActivity('ostor-bridge ' . $hook . ' hook failed: ' . $e->getMessage());
        }
        return null;
    } finally {
        ob_end_clean();
    }
}

function ostorbridge_hookLog($hook, $request, $response, $secret)
{
    if (!function_exists('logModuleCall')) {
        return;
    }
    logModuleCall('ostorbridge', 'hook ' . $hook, $request, $response, '', $secret !== '' ? [$secret] : []);
}

if (function_exists('add_hook')) {
    add_hook('ClientEdit', 1, 'ostorbridge_hook_ClientEdit');
    add_hook('AfterClientMerge', 1, 'ostorbridge_hook_AfterClientMerge');
    add_hook('ServiceDelete', 1, 'ostorbridge_hook_ServiceDelete');
}
