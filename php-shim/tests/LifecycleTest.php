<?php

use PHPUnit\Framework\TestCase;

/**
 * Drives the lifecycle functions of the server module against the real daemon, MariaDB and fake
 * gateway, on a service of its own.
 */
final class LifecycleTest extends TestCase
{
    public function testConfigOptionsKeepTheirPositions(): void
    {
        $options = ostorbridge_ConfigOptions();

        // The daemon reads configoption1, configoption2, ... by position: this order is fixed.
        $this->assertSame([
            'ops_default', 'ops_get', 'ops_put', 'ops_list', 'ops_delete',
            'bandwidth_out', 'quota_gb', 'terminate_action', 'note_content', 'client_area_secret',
        ], array_keys($options));
        foreach ($options as $key => $field) {
            $this->assertNotEmpty($field['FriendlyName'], "$key has no FriendlyName");
            $this->assertContains($field['Type'], ['text', 'dropdown', 'yesno'], "$key has an unexpected Type");
        }
    }

    public function testDropdownValuesMatchTheDaemon(): void
    {
        $options = ostorbridge_ConfigOptions();

        $this->assertSame(['disable', 'purge'], array_keys($options['terminate_action']['Options']));
        $this->assertSame(['default', 'key-id', 'key-id-and-secret'], array_keys($options['note_content']['Options']));
    }

    public function testLifecycleCallsSucceedTwice(): void
    {
        $params = self::lifecycleParams();

        foreach (['CreateAccount', 'SuspendAccount', 'UnsuspendAccount', 'ChangePackage'] as $function) {
            for ($i = 1; $i <= 2; $i++) {
                $this->assertSame('success', call_user_func('ostorbridge_' . $function, $params), "$function call $i");
            }
        }

        $area = ostorbridge_ClientArea($params);
        $this->assertSame('templates/overview.tpl', $area['tabOverviewModuleOutputTemplate']);
        $s3 = $area['templateVariables']['s3'];
        $this->assertTrue($s3['provisioned']);
        $this->assertSame('enabled', $s3['state']);
        $this->assertCount(1, $s3['access_keys']);
        $this->assertArrayNotHasKey('secret_access_key', $s3['access_keys'][0], 'the product does not allow showing secrets');

        for ($i = 1; $i <= 2; $i++) {
            $this->assertSame('success', ostorbridge_TerminateAccount($params), "TerminateAccount call $i");
        }
        $after = ostorbridge_ClientArea($params);
        $this->assertFalse($after['templateVariables']['s3']['provisioned']);
    }

    public function testSuspendAccountNamesUnknownService(): void
    {
        $missing = (int) ostorbridge_test_env('MISSING_SERVICE_ID');

        $result = ostorbridge_SuspendAccount(ostorbridge_test_params(['serviceid' => $missing]));

        $this->assertStringContainsString("WHMCS service $missing does not exist", $result);
    }

    public function testClientAreaHidesDaemonErrorsFromClients(): void
    {
        $missing = (int) ostorbridge_test_env('MISSING_SERVICE_ID');

        $area = ostorbridge_ClientArea(ostorbridge_test_params(['serviceid' => $missing]));

        $this->assertSame('templates/error.tpl', $area['tabOverviewModuleOutputTemplate']);
        $this->assertStringNotContainsString('does not exist', $area['templateVariables']['usefulErrorHelper']);
    }

    public function testTemplatesExist(): void
    {
        $dir = __DIR__ . '/../modules/servers/ostorbridge/';

        $this->assertFileExists($dir . 'templates/overview.tpl');
        $this->assertFileExists($dir . 'templates/error.tpl');
    }

    private static function lifecycleParams(): array
    {
        return ostorbridge_test_params(['serviceid' => (int) ostorbridge_test_env('LIFECYCLE_SERVICE_ID')]);
    }
}
