<?php
/**
 * Admin buttons of the ostor-bridge module on the WHMCS service page: generate and revoke S3
 * access keys, and reconcile the service with the gateway. Each button is one RPC; the daemon
 * does the work and returns an error message that names the fix.
 *
 * Revoking always names the key: the "S3 access keys" field lists the service's recorded keys,
 * each with its own Revoke button that posts the key id as ostorbridge_revoke_key. The plain
 * "Revoke access key" button revokes the key chosen that way and never guesses one.
 */

if (!defined('WHMCS') && !defined('OSTORBRIDGE_TESTING')) {
    die('This file cannot be accessed directly');
}

use OstorBridge\RpcException;

/** Name of the request field that carries the access key id to revoke. */
const OSTORBRIDGE_REVOKE_FIELD = 'ostorbridge_revoke_key';

function ostorbridge_AdminCustomButtonArray()
{
    return [
        'Generate access key' => 'GenerateKey',
        'Revoke access key' => 'RevokeKey',
        'Reconcile' => 'Reconcile',
    ];
}

function ostorbridge_GenerateKey(array $params)
{
    return ostorbridge_serviceCall($params, 'Service.GenerateKey', 'GenerateKey');
}

function ostorbridge_RevokeKey(array $params)
{
    return ostorbridge_guard(function () use ($params) {
        $keyId = ostorbridge_chosenKey();
        if ($keyId === '') {
            return 'Choose the access key to revoke: press Revoke next to the key in the "S3 access keys" field of this service.';
        }
        $request = [
            'service_id' => (int) ($params['serviceid'] ?? 0),
            'admin_id' => ostorbridge_adminId(),
            'access_key_id' => $keyId,
        ];
        ostorbridge_callLogged($params, 'Service.RevokeKey', 'RevokeKey', $request);
        return 'success';
    }, function ($message) {
        return $message;
    });
}

/**
 * Repairs the service: resumes interrupted operations, replaces unrecorded keys and sets the S3
 * user's state to the service's. Findings the daemon cannot repair are returned as the error
 * message, so WHMCS shows the admin what is left to do.
 */
function ostorbridge_Reconcile(array $params)
{
    return ostorbridge_guard(function () use ($params) {
        $request = [
            'service_id' => (int) ($params['serviceid'] ?? 0),
            'fix' => true,
            'admin_id' => ostorbridge_adminId(),
        ];
        $reply = ostorbridge_callLogged($params, 'Service.Reconcile', 'Reconcile', $request);
        $open = [];
        foreach ($reply['findings'] ?? [] as $finding) {
            if (empty($finding['fixed'])) {
                $line = (string) ($finding['message'] ?? '');
                if (!empty($finding['error'])) {
                    $line .= ' (fix failed: ' . $finding['error'] . ')';
                } elseif (!empty($finding['action'])) {
                    $line .= ' (to do: ' . $finding['action'] . ')';
                }
                $open[] = $line;
            }
        }
        if ($open === []) {
            return 'success';
        }
        return 'Reconcile left ' . count($open) . ' open finding(s): ' . implode('; ', $open);
    }, function ($message) {
        return $message;
    });
}

/**
 * Shows the service's recorded access keys on the admin service page, each with a Revoke
 * button. The buttons submit the service form to the module's RevokeKey function with the key id
 * as the button's value.
 *
 * NOTE: WHMCS documents neither how a custom module command is posted nor whether it receives the
 * fields of the service form. The buttons rely on clientsservices.php running modop=custom&ac=
 * from a POST, which is UNCONFIRMED on a live install.
 */
function ostorbridge_AdminServicesTabFields(array $params)
{
    $html = ostorbridge_guard(function () use ($params) {
        list($client) = ostorbridge_connect($params);
        $reply = $client->call('Service.Keys', ['service_id' => (int) ($params['serviceid'] ?? 0), 'admin_id' => ostorbridge_adminId()]);
        return ostorbridge_renderKeys($params, $reply);
    }, function ($message) {
        return '<span class="text-danger">' . ostorbridge_html($message) . '</span>';
    });
    return ['S3 access keys' => $html];
}

/** Renders the key list of a Service.Keys reply as an HTML table. */
function ostorbridge_renderKeys(array $params, array $reply)
{
    $keys = $reply['keys'] ?? [];
    if ($keys === []) {
        return 'No access keys are recorded. Press Create if the service has no S3 user, or Generate access key.';
    }
    $action = 'clientsservices.php?' . http_build_query([
        'userid' => (int) ($params['userid'] ?? 0),
        'id' => (int) ($params['serviceid'] ?? 0),
        'modop' => 'custom',
        'ac' => 'RevokeKey',
    ]);
    if (function_exists('generate_token')) {
        $action .= generate_token('link');
    }

    $rows = '';
    foreach ($keys as $key) {
        $id = (string) ($key['access_key_id'] ?? '');
        $rows .= '<tr><td><code>' . ostorbridge_html($id) . '</code></td>'
            . '<td>' . ostorbridge_html((string) ($key['created_at'] ?? '')) . '</td>'
            . '<td><button type="submit" class="btn btn-default btn-xs" formmethod="post"'
            . ' formaction="' . ostorbridge_html($action) . '"'
            . ' name="' . OSTORBRIDGE_REVOKE_FIELD . '" value="' . ostorbridge_html($id) . '"'
            . ' onclick="' . ostorbridge_html('return confirm(' . json_encode('Revoke access key ' . $id . '? Clients using it lose access.') . ')') . '">'
            . 'Revoke</button></td></tr>';
    }
    return '<table class="table table-condensed"><thead><tr><th>Access key ID</th><th>Created</th><th></th></tr></thead>'
        . '<tbody>' . $rows . '</tbody></table>'
        . '<p>S3 user ' . ostorbridge_html((string) ($reply['user_id'] ?? '')) . '. A user holds at most two key pairs.</p>';
}

/** Returns the access key id the admin chose, or '' when none was posted. */
function ostorbridge_chosenKey()
{
    $value = $_POST[OSTORBRIDGE_REVOKE_FIELD] ?? $_REQUEST[OSTORBRIDGE_REVOKE_FIELD] ?? '';
    return is_string($value) ? trim($value) : '';
}

/** Runs one RPC, writes it to the module log and returns the reply; errors are logged and rethrown. */
function ostorbridge_callLogged(array $params, $method, $action, array $request)
{
    list($client, $params) = ostorbridge_connect($params);
    try {
        $reply = $client->call($method, $request);
    } catch (RpcException $e) {
        ostorbridge_log($action, $request, ['error' => $e->getMessage(), 'code' => $e->getCode()], $params);
        throw $e;
    }
    ostorbridge_log($action, $request, $reply, $params);
    return $reply;
}

function ostorbridge_html($text)
{
    return htmlspecialchars((string) $text, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
}
