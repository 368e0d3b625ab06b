<?php

use PHPUnit\Framework\TestCase;
use OstorBridge\UsageMetricsProvider;
use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;

require_once __DIR__ . '/whmcs-usage-stubs.php';

/**
 * Runs the module's metric provider against the real daemon with stand-ins for WHMCS's classes.
 */
final class UsageMetricsTest extends TestCase
{
    public function testMetricsNameStorageAndDownloads(): void
    {
        $metrics = ostorbridge_MetricProvider(ostorbridge_test_params())->metrics();

        $this->assertSame(['storage_gb', 'downloaded_gb'], array_keys($metrics));
        $this->assertSame(MetricInterface::TYPE_SNAPSHOT, $metrics['storage_gb']->type());
        $this->assertSame(MetricInterface::TYPE_PERIOD_MONTH, $metrics['downloaded_gb']->type());
    }

    public function testUsageIsKeyedByTenant(): void
    {
        $usage = ostorbridge_MetricProvider(ostorbridge_test_params())->usage();

        $this->assertIsArray($usage);
        foreach ($usage as $tenant => $metrics) {
            $this->assertNotSame('', (string) $tenant);
            $this->assertIsFloat($metrics['storage_gb']->usage()->value());
            $this->assertIsFloat($metrics['downloaded_gb']->usage()->value());
        }
    }

    public function testTenantKeyPrefersDomainThenUsername(): void
    {
        $this->assertSame('s3.example.com', UsageMetricsProvider::tenantKey(['service_id' => 7, 'domain' => 's3.example.com', 'username' => 'u7']));
        $this->assertSame('u7', UsageMetricsProvider::tenantKey(['service_id' => 7, 'domain' => ' ', 'username' => 'u7']));
        $this->assertSame('7', UsageMetricsProvider::tenantKey(['service_id' => 7, 'domain' => '', 'username' => '']));
    }

    public function testUnknownTenantHasEmptyMetrics(): void
    {
        $metrics = ostorbridge_MetricProvider(ostorbridge_test_params())->tenantUsage('no-such-tenant.example');

        $this->assertNull($metrics['storage_gb']->usage());
    }
}
