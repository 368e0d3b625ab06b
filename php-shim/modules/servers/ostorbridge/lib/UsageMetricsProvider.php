<?php
/**
 * The WHMCS usage-billing metric provider (WHMCS 7.9+) of the ostor-bridge module. It offers two
 * metrics: stored GB (a snapshot) and downloaded GB in the current calendar month. Each call is
 * one Usage.Metrics RPC; the daemon computes the figures from its own tables.
 */

namespace OstorBridge;

use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;
use WHMCS\UsageBilling\Contracts\Metrics\ProviderInterface;
use WHMCS\UsageBilling\Metrics\Metric;
use WHMCS\UsageBilling\Metrics\Units\GigaBytes;
use WHMCS\UsageBilling\Metrics\Usage;

if (!defined('WHMCS') && !defined('OSTORBRIDGE_TESTING')) {
    die('This file cannot be accessed directly');
}

final class UsageMetricsProvider implements ProviderInterface
{
    const STORAGE = 'storage_gb';
    const DOWNLOADED = 'downloaded_gb';

    /** @var array */
    private $params;

    public function __construct(array $params)
    {
        $this->params = $params;
    }

    public function metrics()
    {
        return [
            self::STORAGE => new Metric(self::STORAGE, 'Storage', MetricInterface::TYPE_SNAPSHOT, new GigaBytes()),
            self::DOWNLOADED => new Metric(self::DOWNLOADED, 'Downloaded', MetricInterface::TYPE_PERIOD_MONTH, new GigaBytes()),
        ];
    }

    /** Returns the metrics of every managed service, keyed by tenant (see tenantKey). */
    public function usage()
    {
        $usage = [];
        foreach ($this->fetch([]) as $service) {
            $usage[self::tenantKey($service)] = $this->withFigures($service);
        }
        return $usage;
    }

    /**
     * Returns the metrics of one tenant. $tenant is matched against the key usage() uses, and
     * also against the service id, so either form finds the service.
     */
    public function tenantUsage($tenant)
    {
        foreach ($this->fetch([]) as $service) {
            if ((string) $tenant === self::tenantKey($service) || (string) $tenant === (string) $service['service_id']) {
                return $this->withFigures($service);
            }
        }
        return $this->metrics();
    }

    /**
     * Returns the value WHMCS identifies a service's tenant by: the service's domain, or its
     * username when the domain is empty, or else the service id.
     *
     * NOTE: WHMCS's documentation calls the key "tenant id" without naming the service field
     * it comes from. Domain first is an unconfirmed guess that follows third-party reports.
     */
    public static function tenantKey(array $service): string
    {
        foreach (['domain', 'username'] as $field) {
            $value = trim((string) ($service[$field] ?? ''));
            if ($value !== '') {
                return $value;
            }
        }
        return (string) ($service['service_id'] ?? '');
    }

    private function withFigures(array $service): array
    {
        $metrics = $this->metrics();
        $metrics[self::STORAGE] = $metrics[self::STORAGE]->withUsage(new Usage((float) ($service['storage_gb'] ?? 0)));
        $metrics[self::DOWNLOADED] = $metrics[self::DOWNLOADED]->withUsage(new Usage((float) ($service['downloaded_gb'] ?? 0)));
        return $metrics;
    }

    private function fetch(array $request): array
    {
        list($client, $params) = ostorbridge_connect($this->params);
        try {
            $reply = $client->call('Usage.Metrics', $request);
        } catch (RpcException $e) {
            ostorbridge_log('MetricProvider', $request, ['error' => $e->getMessage(), 'code' => $e->getCode()], $params);
            throw $e;
        }
        ostorbridge_log('MetricProvider', $request, $reply, $params);
        return is_array($reply['services'] ?? null) ? $reply['services'] : [];
    }
}
