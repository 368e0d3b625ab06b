<?php
/**
 * ostor-bridge WHMCS server module.
 *
 * Each WHMCS module function is translated into one JSON-RPC call to the ostor-bridge daemon,
 * which owns every workflow: it reads the service, client and product from the WHMCS database
 * itself, talks to the S3 gateway and writes the access-key note. This file holds no business
 * logic, no SQL and no gateway calls.
 *
 * The WHMCS server record holds the daemon's address: hostname (or "unix:/path/to.sock"), port,
 * "secure" for HTTPS, and the RPC secret as the password.
 */

if (!defined('WHMCS') && !defined('OSTORBRIDGE_TESTING')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/RpcClient.php';
require_once __DIR__ . '/lib/buttons.php';
require_once __DIR__ . '/lib/usage.php';

use OstorBridge\RpcClient;
use OstorBridge\RpcException;

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
 * Product settings. The daemon reads the product's configuration from the WHMCS database, so the
 * order of fields must never change: WHMCS stores them as configoption1, configoption2, ...
 */
function ostorbridge_ConfigOptions()
{
    return [];
}

function ostorbridge_CreateAccount(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.Create', 'CreateAccount');
}

function ostorbridge_TestConnection(array $params)
{
    return ostorbridge_guard(function () use ($params) {
        $client = RpcClient::fromParams($params);
        $reply = $client->call('System.Check', []);
        ostorbridge_log('TestConnection', ['address' => $client->address()], $reply, $params);
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
        $request = [
            'service_id' => (int) ($params['serviceid'] ?? 0),
            'admin_id' => ostorbridge_adminId(),
        ];
        $client = RpcClient::fromParams($params);
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
 * secret is masked; requests and replies carry ids and key ids, never secret keys.
 */
function ostorbridge_log($action, $request, $response, array $params)
{
    if (!function_exists('logModuleCall')) {
        return;
    }
    $mask = [];
    if (!empty($params['serverpassword'])) {
        $mask[] = $params['serverpassword'];
    }
    logModuleCall('ostorbridge', $action, $request, $response, '', $mask);
}
