<?php
define('WHMCS', true);

require __DIR__ . '/../modules/servers/ostorbridge/ostorbridge.php';

/** Returns a required OSTOR_BRIDGE_TEST_* environment variable, failing loudly when it is unset. */
function ostorbridge_test_env(string $name): string
{
    $value = getenv('OSTOR_BRIDGE_TEST_' . $name);
    if ($value === false || $value === '') {
        fwrite(STDERR, "OSTOR_BRIDGE_TEST_$name is not set: run the PHP tests through `make test` (go test -run TestPHPUnit ./cmd/ostor-bridge), which starts the daemon they need\n");
        exit(1);
    }
    return $value;
}

/** Module parameters pointing at the daemon under test, as WHMCS builds them from the server record. */
function ostorbridge_test_params(array $overrides = []): array
{
    return array_merge([
        'serverhostname' => ostorbridge_test_env('HOST'),
        'serverport' => ostorbridge_test_env('PORT'),
        'serversecure' => false,
        'serverpassword' => ostorbridge_test_env('SECRET'),
    ], $overrides);
}

require __DIR__ . '/../modules/servers/ostorbridge/hooks.php';

/** Stands in for WHMCS's activity log, where hooks report failures; tests read the messages. */
function logActivity($message)
{
    $GLOBALS['ostorbridge_test_activity'][] = (string) $message;
}

/** Returns and clears the messages written to the activity log. */
function ostorbridge_test_take_activity(): array
{
    $messages = $GLOBALS['ostorbridge_test_activity'] ?? [];
    $GLOBALS['ostorbridge_test_activity'] = [];
    return $messages;
}
