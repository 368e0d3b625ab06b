<?php

use OstorBridge\RpcException;
use OstorBridge\Settings;
use PHPUnit\Framework\TestCase;

/**
 * The order in which Settings::load takes the daemon's address and secret from configuration.php
 * constants, environment variables, the addon's settings and the server record, and its errors.
 * These tests resolve settings only and call no daemon.
 *
 * A constant stays defined until the process ends, so every test that defines one runs in its
 * own process.
 */
final class SettingsTest extends TestCase
{
    private const NAMES = [Settings::HOST, Settings::PORT, Settings::SECRET];

    /** A secret that must never show up in an error message. */
    private const SECRET = 'settings-test-secret-0123456789';

    private const SERVER = ['serverhostname' => '127.0.0.7', 'serverport' => '7397', 'serversecure' => false, 'serverpassword' => 'server-record-secret'];

    private const ADDON = ['daemon_address' => '127.0.0.8:7398', 'rpc_secret' => 'addon-secret'];

    protected function setUp(): void
    {
        self::clearEnvironment();
    }

    protected function tearDown(): void
    {
        self::clearEnvironment();
    }

    public function testServerRecordIsTheLastSource(): void
    {
        $settings = Settings::load(self::SERVER, []);

        $this->assertSame(Settings::SOURCE_SERVER, $settings->source());
        $this->assertSame('http://127.0.0.7:7397/rpc', $settings->client()->address());
        $this->assertSame('server-record-secret', $settings->secret());
    }

    public function testAddonSettingsWinOverServerRecord(): void
    {
        $settings = Settings::load(self::SERVER, self::ADDON);

        $this->assertSame(Settings::SOURCE_ADDON, $settings->source());
        $this->assertSame('http://127.0.0.8:7398/rpc', $settings->client()->address());
        $this->assertSame('addon-secret', $settings->secret());
    }

    public function testAddonWithoutSecretIsSkipped(): void
    {
        // The addon's address field has a default, so an activated but unconfigured addon has
        // an address and no secret. It must not hide the server record.
        $settings = Settings::load(self::SERVER, ['daemon_address' => '127.0.0.1:7380', 'rpc_secret' => '']);

        $this->assertSame(Settings::SOURCE_SERVER, $settings->source());
    }

    public function testEnvironmentWinsOverAddonAndServerRecord(): void
    {
        putenv(Settings::HOST . '=127.0.0.9');
        putenv(Settings::PORT . '=7399');
        putenv(Settings::SECRET . '=' . self::SECRET);

        $settings = Settings::load(self::SERVER, self::ADDON);

        $this->assertSame(Settings::SOURCE_CONFIGURATION, $settings->source());
        $this->assertSame('http://127.0.0.9:7399/rpc', $settings->client()->address());
        $this->assertSame(self::SECRET, $settings->secret());
    }

    public function testEnvironmentSecretAloneIsIgnored(): void
    {
        // The daemon reads its own secret from the same variable; a shell that started the
        // daemon may pass it on to PHP without any address.
        putenv(Settings::SECRET . '=' . self::SECRET);

        $settings = Settings::load(self::SERVER, []);

        $this->assertSame(Settings::SOURCE_SERVER, $settings->source());
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testConstantsWinOverEnvironment(): void
    {
        define(Settings::HOST, '127.0.0.10');
        define(Settings::SECRET, self::SECRET);
        putenv(Settings::HOST . '=127.0.0.9');
        putenv(Settings::PORT . '=7399');

        $settings = Settings::load(self::SERVER, self::ADDON);

        $this->assertSame(Settings::SOURCE_CONFIGURATION, $settings->source());
        // The port is not a constant, so it still comes from the environment.
        $this->assertSame('http://127.0.0.10:7399/rpc', $settings->client()->address());
        $this->assertSame(self::SECRET, $settings->secret());
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testConstantSecretWithoutHostIsRejected(): void
    {
        define(Settings::SECRET, self::SECRET);

        $message = $this->loadError(self::SERVER, self::ADDON);

        $this->assertStringContainsString('OSTOR_BRIDGE_RPC_HOST is not set', $message);
        $this->assertStringContainsString('configuration.php', $message);
    }

    public function testNothingConfiguredNamesWhatToSet(): void
    {
        $message = $this->loadError(null, []);

        $this->assertStringContainsString('daemon address is not configured', $message);
        $this->assertStringContainsString("define OSTOR_BRIDGE_RPC_HOST", $message);
        $this->assertStringContainsString('OSTOR_BRIDGE_RPC_SECRET', $message);
        $this->assertStringContainsString("WHMCS's configuration.php", $message);
        $this->assertStringContainsString('"Daemon address" and "RPC secret" settings of the ostor-bridge S3 panel addon', $message);
        $this->assertStringNotContainsString('server record', $message, 'hooks and the addon have no server record');
    }

    public function testNothingConfiguredForModuleMentionsServerRecord(): void
    {
        $message = $this->loadError(['serverhostname' => '', 'serverpassword' => ''], []);

        $this->assertStringContainsString("WHMCS's configuration.php", $message);
        $this->assertStringContainsString('WHMCS server record', $message);
    }

    public function testHostWithoutSecretIsRejected(): void
    {
        putenv(Settings::HOST . '=127.0.0.9');

        $message = $this->loadError(self::SERVER, self::ADDON);

        $this->assertStringContainsString('OSTOR_BRIDGE_RPC_SECRET is not set, but OSTOR_BRIDGE_RPC_HOST is "127.0.0.9"', $message);
        $this->assertStringContainsString("the daemon's OSTOR_BRIDGE_RPC_SECRET (or rpc.secret)", $message);
    }

    public function testAddonSecretWithoutAddressIsRejected(): void
    {
        $message = $this->loadError(self::SERVER, ['daemon_address' => '', 'rpc_secret' => self::SECRET]);

        $this->assertStringContainsString('addon has an "RPC secret" but no "Daemon address"', $message);
        $this->assertStringNotContainsString(self::SECRET, $message);
    }

    public function testServerRecordWithoutPasswordIsRejected(): void
    {
        $message = $this->loadError(['serverhostname' => '127.0.0.7', 'serverpassword' => ''], []);

        $this->assertStringContainsString('server record has no password', $message);
        $this->assertStringContainsString("enter the daemon's OSTOR_BRIDGE_RPC_SECRET (or rpc.secret) as its password", $message);
    }

    /**
     * @dataProvider invalidConfigurations
     */
    public function testInvalidConfigurationIsRejected(string $host, string $port, string $expected): void
    {
        putenv(Settings::HOST . '=' . $host);
        putenv(Settings::PORT . '=' . $port);
        putenv(Settings::SECRET . '=' . self::SECRET);

        $message = $this->loadError(self::SERVER, []);

        $this->assertStringContainsString($expected, $message);
        $this->assertStringNotContainsString(self::SECRET, $message);
    }

    public function invalidConfigurations(): array
    {
        return [
            'port not a number' => ['127.0.0.1', 'http', 'OSTOR_BRIDGE_RPC_PORT "http" has an invalid port'],
            'port out of range' => ['127.0.0.1', '70000', 'OSTOR_BRIDGE_RPC_PORT "70000" has an invalid port'],
            'port in host invalid' => ['127.0.0.1:x', '', 'OSTOR_BRIDGE_RPC_HOST "127.0.0.1:x" has an invalid port'],
            'two different ports' => ['127.0.0.1:7381', '7382', 'OSTOR_BRIDGE_RPC_HOST "127.0.0.1:7381" names port 7381 but OSTOR_BRIDGE_RPC_PORT is 7382'],
            'URL instead of host' => ['http://127.0.0.1', '', 'OSTOR_BRIDGE_RPC_HOST "http://127.0.0.1" is not a host name or IP address'],
            'unix without path' => ['unix:', '', 'OSTOR_BRIDGE_RPC_HOST "unix:" names no socket path'],
        ];
    }

    /**
     * @dataProvider addresses
     */
    public function testAddressForms(string $host, string $port, string $expected): void
    {
        putenv(Settings::HOST . '=' . $host);
        putenv(Settings::PORT . '=' . $port);
        putenv(Settings::SECRET . '=' . self::SECRET);

        $this->assertSame($expected, Settings::load(null, [])->client()->address());
    }

    public function addresses(): array
    {
        return [
            'host, default port' => ['127.0.0.1', '', 'http://127.0.0.1:7380/rpc'],
            'host and port' => ['127.0.0.1', '7381', 'http://127.0.0.1:7381/rpc'],
            'host:port' => ['127.0.0.1:7382', '', 'http://127.0.0.1:7382/rpc'],
            'same port twice' => ['127.0.0.1:7383', '7383', 'http://127.0.0.1:7383/rpc'],
            'name' => ['bridge.example.test', '', 'http://bridge.example.test:7380/rpc'],
            'IPv6' => ['::1', '7384', 'http://[::1]:7384/rpc'],
            'IPv6 in brackets with port' => ['[::1]:7385', '', 'http://[::1]:7385/rpc'],
            'unix socket' => ['unix:/run/ostor-bridge/rpc.sock', '', 'unix:/run/ostor-bridge/rpc.sock'],
        ];
    }

    public function testAddonAddressForms(): void
    {
        $this->assertSame('http://127.0.0.1:7380/rpc', Settings::load(null, ['daemon_address' => '127.0.0.1', 'rpc_secret' => 'x'])->client()->address());
        $this->assertSame('http://[::1]:7386/rpc', Settings::load(null, ['daemon_address' => '[::1]:7386', 'rpc_secret' => 'x'])->client()->address());
        $this->assertSame('unix:/run/ostor-bridge/rpc.sock', Settings::load(null, ['daemon_address' => 'unix:/run/ostor-bridge/rpc.sock', 'rpc_secret' => 'x'])->client()->address());
    }

    /** Returns the message of the configuration error Settings::load raises, failing when it raises none. */
    private function loadError(?array $serverParams, ?array $addonSettings): string
    {
        try {
            $settings = Settings::load($serverParams, $addonSettings);
        } catch (RpcException $e) {
            $this->assertSame('config', $e->getKind());
            return $e->getMessage();
        }
        $this->fail('Settings::load accepted the configuration and chose the ' . $settings->source() . ' source');
    }

    private static function clearEnvironment(): void
    {
        foreach (self::NAMES as $name) {
            putenv($name);
        }
    }
}
