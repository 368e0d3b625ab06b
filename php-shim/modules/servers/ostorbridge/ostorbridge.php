<?php
/**
 * ostor-bridge WHMCS server module.
 *
 * Each WHMCS module function is translated into one JSON-RPC call to the ostor-bridge daemon,
 * which owns every workflow: it reads the service, client and product from the WHMCS database
 * itself, talks to the S3 gateway and writes the access-key note. This file holds no business
 * logic, no SQL and no gateway calls.
 *
 * Every function finds the daemon the same way as the hooks and the addon do (lib/Settings.php).
 * The OSTOR_BRIDGE_RPC_* constants of WHMCS's configuration.php come first, then the addon's
 * settings. The WHMCS server record comes last: hostname (or "unix:/path/to.sock"), port,
 * "secure" for HTTPS, and the RPC secret as the password.
 */

if (!defined('WHMCS') && !defined('OSTORBRIDGE_TESTING')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/RpcClient.php';
require_once __DIR__ . '/lib/Settings.php';
require_once __DIR__ . '/lib/buttons.php';
require_once __DIR__ . '/lib/usage.php';

use OstorBridge\RpcClient;
use OstorBridge\RpcException;
use OstorBridge\Settings;

function ostorbridge_MetaData()
{
    return [
        'DisplayName' => 'ostor-bridge (S3 object storage)',
        'APIVersion' => '1.1',
        'RequiresServer' => true,
        'DefaultNonSSLPort' => '7380',
        'DefaultSSLPort' => '7380',
    ];
}

/**
 * Product settings. WHMCS stores them by position as configoption1, configoption2, ... and the
 * daemon reads them from the database by that position (bridge/plan.go), so a field is never
 * moved, removed or reused: a new setting is appended. Numbers are whole; 0 or empty means
 * unlimited and removes the limit on the gateway.
 */
function ostorbridge_ConfigOptions()
{
    $number = function ($label, $unit) {
        return [
            'FriendlyName' => $label,
            'Type' => 'text',
            'Size' => '12',
            'Default' => '0',
            'Description' => $unit . '; 0 or empty = unlimited',
        ];
    };
    return [
        // configoption1 to configoption5: operation limits of the S3 user.
        'ops_default' => $number('Ops limit: default', 'operations per second for every type without its own limit'),
        'ops_get' => $number('Ops limit: GET', 'operations per second'),
        'ops_put' => $number('Ops limit: PUT', 'operations per second'),
        'ops_list' => $number('Ops limit: LIST', 'operations per second'),
        'ops_delete' => $number('Ops limit: DELETE', 'operations per second'),
        // configoption6
        'bandwidth_out' => $number('Bandwidth limit', 'outgoing kilobytes per second'),
        // configoption7
        'quota_gb' => $number('Storage quota', 'gigabytes (needs VHI 4.7 or later)'),
        // configoption8
        'terminate_action' => [
            'FriendlyName' => 'When terminated with buckets',
            'Type' => 'dropdown',
            'Options' => [
                'disable' => 'Disable the S3 user, keep its data and report the buckets',
                'purge' => 'Delete all buckets and objects, then the S3 user',
            ],
            'Default' => 'disable',
            'Description' => 'An S3 user without buckets is always deleted',
        ],
        // configoption9
        'note_content' => [
            'FriendlyName' => 'Access-key note',
            'Type' => 'dropdown',
            'Options' => [
                'default' => 'As the daemon\'s notes.include_secret says',
                'key-id' => 'Access key ID only',
                'key-id-and-secret' => 'Access key ID and secret key',
            ],
            'Default' => 'default',
            'Description' => 'What the client note written for each service contains',
        ],
        // configoption10
        'client_area_secret' => [
            'FriendlyName' => 'Show secret key in client area',
            'Type' => 'yesno',
            'Description' => 'The client sees the secret key on the service page',
        ],
    ];
}

function ostorbridge_CreateAccount(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.Create', 'CreateAccount');
}

function ostorbridge_SuspendAccount(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.Suspend', 'SuspendAccount');
}

function ostorbridge_UnsuspendAccount(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.Unsuspend', 'UnsuspendAccount');
}

function ostorbridge_TerminateAccount(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.Terminate', 'TerminateAccount');
}

function ostorbridge_ChangePackage(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.ChangePackage', 'ChangePackage');
}

/**
 * Shows the S3 endpoint and access keys on the client's service page. Secret keys are in the
 * reply only when the product's "Show secret key in client area" is ticked; they are masked in
 * the module log.
 */
function ostorbridge_ClientArea(array $params)
{
    return ostorbridge_guard(function () use ($params) {
        list($client, $params) = ostorbridge_connect($params);
        $request = ['service_id' => (int) ($params['serviceid'] ?? 0), 'admin_id' => 0];
        $reply = $client->call('Service.ClientArea', $request);
        $secrets = [];
        foreach ($reply['access_keys'] ?? [] as $key) {
            if (!empty($key['secret_access_key'])) {
                $secrets[] = (string) $key['secret_access_key'];
            }
        }
        ostorbridge_log('ClientArea', $request, $reply, $params, $secrets);
        return [
            'tabOverviewModuleOutputTemplate' => 'templates/overview.tpl',
            'templateVariables' => ['s3' => $reply],
        ];
    }, function ($message) use ($params) {
        // The daemon's messages are written for admins, so the client sees a generic text and
        // the module log keeps the detail.
        ostorbridge_log('ClientArea', ['service_id' => (int) ($params['serviceid'] ?? 0)], ['error' => $message], $params);
        return [
            'tabOverviewModuleOutputTemplate' => 'templates/error.tpl',
            'templateVariables' => ['usefulErrorHelper' => 'please try again later, or contact support if this persists.'],
        ];
    });
}

function ostorbridge_TestConnection(array $params)
{
    return ostorbridge_guard(function () use ($params) {
        $settings = Settings::load($params);
        $params = array_merge($params, $settings->serverFields());
        $client = $settings->client();
        $request = ['address' => $client->address(), 'settings' => $settings->describeSource()];
        try {
            $reply = $client->call('System.Check', []);
        } catch (RpcException $e) {
            ostorbridge_log('TestConnection', $request, ['error' => $e->getMessage()], $params);
            throw $e;
        }
        ostorbridge_log('TestConnection', $request, $reply, $params);
        if (!empty($reply['ok'])) {
            return ['success' => true, 'error' => ''];
        }
        $problems = [];
        foreach (['database', 'gateway'] as $part) {
            if (empty($reply[$part]['ok'])) {
                $problems[] = (string) ($reply[$part]['message'] ?? $part . ' check failed');
            }
        }
        return ['success' => false, 'error' => 'The daemon answered, but: ' . implode(' ', $problems)];
    }, function ($message) {
        return ['success' => false, 'error' => $message];
    });
}

/**
 * Runs a service-level RPC and converts the reply into what WHMCS expects from a provisioning
 * function: "success" or an error message shown to the admin.
 */
function ostorbridge_serviceCall(array $params, $method, $action)
{
    return ostorbridge_guard(function () use ($params, $method, $action) {
        list($client, $params) = ostorbridge_connect($params);
        $request = [
            'service_id' => (int) ($params['serviceid'] ?? 0),
            'admin_id' => ostorbridge_adminId(),
        ];
        try {
            $reply = $client->call($method, $request);
        } catch (RpcException $e) {
            ostorbridge_log($action, $request, ['error' => $e->getMessage(), 'code' => $e->getCode()], $params);
            throw $e;
        }
        ostorbridge_log($action, $request, $reply, $params);
        return 'success';
    }, function ($message) {
        return $message;
    });
}

/**
 * Resolves the daemon from the settings every entry point shares (lib/Settings.php). Returns
 * the RPC client and $params with the server fields replaced by the resolved ones, so that
 * ostorbridge_log masks the secret actually used.
 *
 * @return array{0:RpcClient,1:array}
 * @throws RpcException when no daemon is configured
 */
function ostorbridge_connect(array $params)
{
    $settings = Settings::load($params);
    return [$settings->client(), array_merge($params, $settings->serverFields())];
}

/**
 * Calls $body and converts any exception into an error via $onError. Output produced by PHP
 * notices or stray echoes while the call runs is discarded, so it never corrupts the page or a
 * JSON answer WHMCS sends.
 */
function ostorbridge_guard(callable $body, callable $onError)
{
    ob_start();
    try {
        $result = $body();
    } catch (RpcException $e) {
        $result = $onError(ostorbridge_errorMessage($e));
    } catch (\Throwable $e) {
        $result = $onError('ostor-bridge module error: ' . $e->getMessage());
    } finally {
        ob_end_clean();
    }
    return $result;
}

function ostorbridge_errorMessage(RpcException $e)
{
    return 'ostor-bridge: ' . $e->getMessage();
}

/** Returns the id of the admin acting in this request, or 0 for WHMCS automation. */
function ostorbridge_adminId()
{
    return isset($_SESSION['adminid']) ? (int) $_SESSION['adminid'] : 0;
}

/**
 * Writes the call to the WHMCS module log (only recorded while Module Log is on). The RPC
 * secret and every string in $mask are masked; only the ClientArea reply can carry secret keys,
 * and it passes them in $mask.
 */
function ostorbridge_log($action, $request, $response, array $params, array $mask = [])
{
    if (!function_exists('logModuleCall')) {
        return;
    }
    if (!empty($params['serverpassword'])) {
        $mask[] = $params['serverpassword'];
    }
    logModuleCall('ostorbridge', $action, $request, $response, '', $mask);
}
