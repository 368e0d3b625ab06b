<?php

use OstorBridge\RpcClient;
use OstorBridge\RpcException;
use OstorBridge\Settings;
use PHPUnit\Framework\TestCase;

/**
 * A wrong secret or an unreachable address is reported with the settings it came from: the
 * addon's "Daemon address" and "RPC secret", the server record's fields, or the configuration.
 * Each message names only the source actually used.
 */
final class SourceMessagesTest extends TestCase
{
    private const WRONG_SECRET = 'not-the-daemon-secret-at-all-0123';

    protected function setUp(): void
    {
        foreach ([Settings::HOST, Settings::PORT, Settings::SECRET] as $name) {
            putenv($name);
        }
    }

    public function testAddonWrongSecretNamesAddonSetting(): void
    {
        $addon = ['daemon_address' => ostorbridge_test_env('HOST') . ':' . ostorbridge_test_env('PORT'), 'rpc_secret' => self::WRONG_SECRET];

        $message = $this->callError(Settings::load(null, $addon)->client());

        $this->assertStringContainsString('signature does not match', $message);
        $this->assertStringContainsString('This WHMCS reads the RPC secret from the "RPC secret" setting of the ostor-bridge S3 panel addon, which must equal the daemon\'s OSTOR_BRIDGE_RPC_SECRET (or rpc.secret).', $message);
        $this->assertStringNotContainsString('server record', substr($message, strpos($message, 'This WHMCS')));
        $this->assertStringNotContainsString(self::WRONG_SECRET, $message);
    }

    public function testAddonUnreachableNamesAddonSetting(): void
    {
        $addon = ['daemon_address' => '127.0.0.1:' . self::closedPort(), 'rpc_secret' => self::WRONG_SECRET];

        $message = $this->callError(Settings::load(null, $addon)->client());

        $this->assertStringContainsString('Could not reach the ostor-bridge daemon', $message);
        $this->assertStringContainsString('This WHMCS reads the daemon address from the "Daemon address" setting of the ostor-bridge S3 panel addon, which must match the daemon\'s rpc.listen.', $message);
        $this->assertStringNotContainsString('server record', $message);
    }

    public function testServerRecordWrongSecretNamesPassword(): void
    {
        $params = ostorbridge_test_params(['serverpassword' => self::WRONG_SECRET]);

        $message = $this->callError(Settings::load($params, [])->client());

        $this->assertStringContainsString('This WHMCS reads the RPC secret from the password of the WHMCS server record', $message);
        $this->assertStringNotContainsString('configuration.php,', substr($message, strpos($message, 'This WHMCS')));
    }

    public function testServerRecordUnreachableNamesHostnameAndPort(): void
    {
        $params = ostorbridge_test_params(['serverhostname' => '127.0.0.1', 'serverport' => self::closedPort()]);

        $message = $this->callError(RpcClient::fromParams($params));

        $this->assertStringContainsString('This WHMCS reads the daemon address from the hostname and port of the WHMCS server record', $message);
    }

    public function testEnvironmentAddressNamesBothVariables(): void
    {
        putenv(Settings::HOST . '=127.0.0.1');
        putenv(Settings::PORT . '=' . self::closedPort());
        putenv(Settings::SECRET . '=' . self::WRONG_SECRET);

        $message = $this->callError(Settings::load(null, [])->client());

        $this->assertStringContainsString('This WHMCS reads the daemon address from the environment variables OSTOR_BRIDGE_RPC_HOST and OSTOR_BRIDGE_RPC_PORT, which', $message);
    }

    public function testServerRecordWithoutPasswordNamesDaemonSecret(): void
    {
        try {
            RpcClient::fromParams(['serverhostname' => '127.0.0.1', 'serverpassword' => '']);
            $this->fail('expected an RpcException');
        } catch (RpcException $e) {
            $this->assertSame('config', $e->getKind());
            $this->assertStringContainsString("The WHMCS server record has no password: enter the daemon's OSTOR_BRIDGE_RPC_SECRET (or rpc.secret) as its password.", $e->getMessage());
        }
    }

    private function callError(RpcClient $client): string
    {
        try {
            $client->call('System.Check');
        } catch (RpcException $e) {
            return $e->getMessage();
        }
        $this->fail('expected an RpcException');
    }

    private static function closedPort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }
}
