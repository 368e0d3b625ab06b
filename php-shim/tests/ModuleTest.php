<?php

use PHPUnit\Framework\TestCase;

/**
 * Drives the server module functions against the real daemon, MariaDB and fake gateway.
 */
final class ModuleTest extends TestCase
{
    public function testCreateAccountSucceedsAndRepeats(): void
    {
        $params = ostorbridge_test_params(['serviceid' => (int) ostorbridge_test_env('SERVICE_ID')]);

        $this->assertSame('success', ostorbridge_CreateAccount($params));
        $this->assertSame('success', ostorbridge_CreateAccount($params), 'a repeated CreateAccount must succeed');
    }

    public function testCreateAccountNamesUnknownService(): void
    {
        $missing = (int) ostorbridge_test_env('MISSING_SERVICE_ID');

        $result = ostorbridge_CreateAccount(ostorbridge_test_params(['serviceid' => $missing]));

        $this->assertStringContainsString("WHMCS service $missing does not exist", $result);
    }

    public function testCreateAccountRejectsZeroServiceId(): void
    {
        $result = ostorbridge_CreateAccount(ostorbridge_test_params(['serviceid' => 0]));

        $this->assertStringContainsString('service_id must be a positive WHMCS service id', $result);
    }

    public function testWrongSecretIsRejected(): void
    {
        $params = ostorbridge_test_params([
            'serviceid' => (int) ostorbridge_test_env('SERVICE_ID'),
            'serverpassword' => 'not-the-daemon-secret-at-all',
        ]);

        $result = ostorbridge_CreateAccount($params);

        $this->assertStringContainsString('signature does not match', $result);
        $this->assertStringContainsString('OSTOR_BRIDGE_RPC_SECRET', $result);
    }

    public function testTestConnectionSucceeds(): void
    {
        $this->assertSame(['success' => true, 'error' => ''], ostorbridge_TestConnection(ostorbridge_test_params()));
    }

    public function testTestConnectionReportsUnreachableDaemon(): void
    {
        $port = self::closedPort();

        $result = ostorbridge_TestConnection(ostorbridge_test_params(['serverhostname' => '127.0.0.1', 'serverport' => $port]));

        $this->assertFalse($result['success']);
        $this->assertStringContainsString("Could not reach the ostor-bridge daemon at http://127.0.0.1:$port/rpc", $result['error']);
    }

    public function testEmptySecretIsAConfigurationError(): void
    {
        $result = ostorbridge_TestConnection(ostorbridge_test_params(['serverpassword' => '']));

        $this->assertFalse($result['success']);
        $this->assertStringContainsString('The WHMCS server record has no password', $result['error']);
    }

    public function testMissingHostnameIsAConfigurationError(): void
    {
        $result = ostorbridge_CreateAccount(ostorbridge_test_params(['serverhostname' => '', 'serverip' => '', 'serviceid' => 1]));

        $this->assertStringContainsString('The WHMCS server record has no hostname', $result);
    }

    public function testModuleFunctionsPrintNothing(): void
    {
        $this->expectOutputString('');

        ostorbridge_TestConnection(ostorbridge_test_params());
        ostorbridge_CreateAccount(ostorbridge_test_params(['serviceid' => 0]));
    }

    public function testMetaDataNamesTheDefaultPort(): void
    {
        $meta = ostorbridge_MetaData();

        $this->assertSame('1.1', $meta['APIVersion']);
        $this->assertSame('7380', $meta['DefaultNonSSLPort']);
    }

    /** Returns a loopback TCP port nothing listens on. */
    private static function closedPort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }
}
