<?php
/**
 * The WHMCS side of the ostor-bridge admin panel.
 *
 * It checks what only WHMCS can check: the admin session, the CSRF token and the admin's
 * permissions. Then it forwards each request as one RPC to the daemon. The daemon validates the
 * input, runs the action and renders every HTML fragment with all values escaped. No business
 * logic and no gateway calls happen here. The daemon's address and secret come from
 * OstorBridge\Settings, as for the server module and its hooks.
 */

namespace OstorBridge\Addon;

require_once __DIR__ . '/../../../servers/ostorbridge/lib/Settings.php';

use OstorBridge\RpcClient;
use OstorBridge\RpcException;
use OstorBridge\Settings;

final class Addon
{
    const MODULE = 'ostorbridge';

    /** WHMCS admin permission needed to see the panel. */
    const VIEW_PERMISSION = 'View Clients Products/Services';

    /** WHMCS admin permission needed for every action that changes something. */
    const ACT_PERMISSION = 'Perform Server Operations';

    /** Session key of the outcome shown once on the next summary page of the client. */
    const NOTICE_KEY = 'ostorbridge_notice';

    /** Names of the $_GET values the read-only views pass on. */
    const VIEW_PARAMS = ['q', 'page', 'email', 'after', 'object'];

    /** Returns the addon's settings page definition. */
    public static function config(): array
    {
        return [
            'name' => 'ostor-bridge S3 panel',
            'description' => 'S3 storage panel on the client summary page, served by the ostor-bridge daemon.',
            'version' => '1.0',
            'author' => 'ostor-bridge',
            'fields' => [
                'daemon_address' => [
                    'FriendlyName' => 'Daemon address',
                    'Type' => 'text',
                    'Size' => '40',
                    'Default' => '127.0.0.1:7380',
                    'Description' => 'host:port of the daemon\'s rpc.listen, or unix:/run/ostor-bridge/rpc.sock. Ignored when configuration.php defines OSTOR_BRIDGE_RPC_HOST.',
                ],
                'rpc_secret' => [
                    'FriendlyName' => 'RPC secret',
                    'Type' => 'password',
                    'Size' => '64',
                    'Description' => 'The daemon\'s OSTOR_BRIDGE_RPC_SECRET (or rpc.secret). Leave both fields empty when configuration.php defines the OSTOR_BRIDGE_RPC_* constants, which every part of the module then uses.',
                ],
            ],
        ];
    }

    /**
     * Renders the panel for the AdminAreaClientSummaryPage hook. Any failure becomes a short,
     * escaped notice, so the client summary page always renders. $settings are the addon's
     * settings, or null to read them from WHMCS.
     */
    public static function summary(array $vars, ?array $settings = null): string
    {
        $clientId = (int) ($vars['userid'] ?? 0);
        if ($clientId <= 0 || !self::allowed(self::VIEW_PERMISSION)) {
            return '';
        }
        ob_start();
        try {
            $reply = self::client($settings)->call('Admin.Summary', [
                'client_id' => $clientId,
                'admin_id' => self::adminId(),
                'token' => generate_token('plain'),
                'read_only' => !self::allowed(self::ACT_PERMISSION),
                'notice' => self::takeNotice($clientId),
            ]);
            return (string) ($reply['html'] ?? '');
        } catch (\Throwable $e) {
            return self::errorBox('The S3 panel is not available: ' . $e->getMessage());
        } finally {
            ob_end_clean();
        }
    }

    /**
     * Serves the addon page: a POST runs an action, a GET with "view" shows a read-only page.
     * Every action ends in a redirect to the client's summary page, except a destructive one
     * that is not confirmed yet, which shows the daemon's confirmation page.
     */
    public static function output(array $vars): void
    {
        $clientId = (int) ($_REQUEST['userid'] ?? 0);
        if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
            self::act($vars, $clientId);
            return;
        }

        $view = (string) ($_GET['view'] ?? '');
        if ($view === '') {
            echo '<p>Open a client\'s summary page to manage their S3 storage.</p>';
            return;
        }
        if (!self::allowed(self::VIEW_PERMISSION)) {
            echo self::errorBox('You need the "' . self::VIEW_PERMISSION . '" permission to see S3 storage.');
            return;
        }
        $params = [];
        foreach (self::VIEW_PARAMS as $name) {
            if (isset($_GET[$name]) && is_string($_GET[$name])) {
                $params[$name] = $_GET[$name];
            }
        }
        try {
            $reply = self::client($vars)->call('Admin.Page', [
                'client_id' => $clientId,
                'admin_id' => self::adminId(),
                'token' => generate_token('plain'),
                'read_only' => !self::allowed(self::ACT_PERMISSION),
                'view' => $view,
                'params' => (object) $params,
            ]);
            echo (string) ($reply['html'] ?? '');
        } catch (\Throwable $e) {
            echo self::errorBox($e->getMessage());
            echo '<p><a href="clientssummary.php?userid=' . $clientId . '">Back to the client summary</a></p>';
        }
    }

    private static function act(array $vars, int $clientId): void
    {
        // check_token is reported to end the request itself on a mismatch in some WHMCS
        // versions; where it returns false instead, this branch rejects the request.
        if (!check_token('WHMCS.admin.default')) {
            self::redirect($clientId, false, 'The form expired or did not come from this WHMCS (invalid CSRF token); nothing was changed. Reload the page and try again.');
            return;
        }
        if (!self::allowed(self::ACT_PERMISSION)) {
            self::redirect($clientId, false, 'You need the "' . self::ACT_PERMISSION . '" permission to change S3 storage; nothing was changed.');
            return;
        }

        $params = [];
        if (isset($_POST['params']) && is_array($_POST['params'])) {
            foreach ($_POST['params'] as $name => $value) {
                if (is_string($name) && is_string($value)) {
                    $params[$name] = $value;
                }
            }
        }
        try {
            $reply = self::client($vars)->call('Admin.Action', [
                'client_id' => $clientId,
                'service_id' => (int) ($_POST['service_id'] ?? 0),
                'admin_id' => self::adminId(),
                'action' => (string) ($_POST['action'] ?? ''),
                'params' => (object) $params,
                'confirmed' => ($_POST['confirmed'] ?? '') === '1',
                'token' => generate_token('plain'),
            ]);
        } catch (RpcException $e) {
            self::redirect($clientId, false, $e->getMessage());
            return;
        } catch (\Throwable $e) {
            self::redirect($clientId, false, 'The action failed: ' . $e->getMessage());
            return;
        }
        if (!empty($reply['confirm_html'])) {
            echo (string) $reply['confirm_html'];
            return;
        }
        self::redirect($clientId, !empty($reply['ok']), (string) ($reply['message'] ?? ''));
    }

    /** Builds the RPC client from the settings every entry point shares; see Settings::load. */
    private static function client(?array $addonSettings): RpcClient
    {
        return Settings::load(null, $addonSettings)->client();
    }

    /** Returns the id of the logged-in admin (tbladmins.id), or 0. */
    private static function adminId(): int
    {
        return isset($_SESSION['adminid']) ? (int) $_SESSION['adminid'] : 0;
    }

    /**
     * Reports whether the logged-in admin's role grants $permission, using the permission names
     * that GetAdminDetails returns in allowedpermissions.
     */
    private static function allowed(string $permission): bool
    {
        if (self::adminId() <= 0) {
            return false;
        }
        $details = localAPI('GetAdminDetails', []);
        if (!is_array($details) || ($details['result'] ?? '') !== 'success') {
            return false;
        }
        $granted = array_map('trim', explode(',', (string) ($details['allowedpermissions'] ?? '')));
        return in_array($permission, $granted, true);
    }

    /** Stores the outcome for the next summary page and sends the admin there. */
    private static function redirect(int $clientId, bool $ok, string $message): void
    {
        if ($clientId > 0) {
            $_SESSION[self::NOTICE_KEY][$clientId] = ['ok' => $ok, 'message' => $message];
        }
        header('Location: clientssummary.php?userid=' . max($clientId, 0), true, 303);
    }

    /** Returns the stored outcome of the client's last action, or null, and removes it from the session. */
    private static function takeNotice(int $clientId)
    {
        $notice = $_SESSION[self::NOTICE_KEY][$clientId] ?? null;
        unset($_SESSION[self::NOTICE_KEY][$clientId]);
        if (!is_array($notice)) {
            return null;
        }
        return ['ok' => !empty($notice['ok']), 'message' => (string) ($notice['message'] ?? '')];
    }

    private static function errorBox(string $message): string
    {
        return '<div class="alert alert-danger">' . htmlspecialchars($message, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8') . '</div>';
    }
}
