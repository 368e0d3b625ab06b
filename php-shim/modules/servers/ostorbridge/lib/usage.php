<?php
/**
 * Usage functions of the ostor-bridge server module. The daemon collects the gateway's usage
 * statistics and writes diskusage, bwusage and lastupdate of every managed service into
 * tblhosting itself. Each function here sends one RPC and converts the reply.
 */

if (!defined('WHMCS') && !defined('OSTORBRIDGE_TESTING')) {
    die('This file cannot be accessed directly');
}

use OstorBridge\RpcException;

/**
 * WHMCS calls UsageUpdate from its daily cron once per active server of this module. One call
 * updates every service the daemon manages, so a second server record pointing at the same
 * daemon repeats work but counts nothing twice.
 */
function ostorbridge_UsageUpdate(array $params)
{
    return ostorbridge_guard(function () use ($params) {
        $request = ['server_id' => (int) ($params['serverid'] ?? 0)];
        list($client, $params) = ostorbridge_connect($params);
        try {
            $reply = $client->call('Usage.Update', $request);
        } catch (RpcException $e) {
            ostorbridge_log('UsageUpdate', $request, ['error' => $e->getMessage(), 'code' => $e->getCode()], $params);
            throw $e;
        }
        ostorbridge_log('UsageUpdate', $request, $reply, $params);
        return 'success';
    }, function ($message) {
        return $message;
    });
}

/**
 * Returns the usage-billing metric provider (WHMCS 7.9+). The provider class needs WHMCS's
 * usage-billing classes, so it is loaded only here, where WHMCS has them.
 */
function ostorbridge_MetricProvider(array $params)
{
    require_once __DIR__ . '/UsageMetricsProvider.php';
    return new \OstorBridge\UsageMetricsProvider($params);
}
