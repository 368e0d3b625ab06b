<?php
/**
 * ostor-bridge WHMCS addon module: the admin page behind the S3 panel of the client summary
 * page (addonmodules.php?module=ostorbridge). Restrict it to the admin roles that may manage S3
 * storage under Access Control in the addon's settings. Every action also needs the "Perform
 * Server Operations" permission and a valid CSRF token.
 *
 * WHMCS requires the names ostorbridge_config, _activate, _deactivate and _output. The server
 * module of the same name defines none of them, so both modules can be loaded together.
 */

if (!defined('WHMCS')) {
    die('This file cannot be accessed directly');
}

require_once __DIR__ . '/lib/Addon.php';

use OstorBridge\Addon\Addon;

function ostorbridge_config()
{
    return Addon::config();
}

/** Reports success: the daemon creates and migrates its own tables, so there is nothing to create. */
function ostorbridge_activate()
{
    return ['status' => 'success', 'description' => 'The ostor-bridge daemon keeps its own tables. Define the daemon address and RPC secret in configuration.php as the README says (or enter them in these settings), then grant Access Control to the admin roles that manage S3 storage.'];
}

/** Reports success and keeps the bridge's tables and audit trail, which belong to the daemon. */
function ostorbridge_deactivate()
{
    return ['status' => 'success', 'description' => 'The S3 panel is off. The daemon\'s tables and audit trail were kept.'];
}

function ostorbridge_output($vars)
{
    Addon::output(is_array($vars) ? $vars : []);
}
