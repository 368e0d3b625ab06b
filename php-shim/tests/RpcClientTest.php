<?php

use OstorBridge\RpcClient;
use OstorBridge\RpcException;
use PHPUnit\Framework\TestCase;

/**
 * Exercises the RPC client's checks of what comes back, against the daemon and against a web
 * server that is not the daemon.
 */
final class RpcClientTest extends TestCase
{
    /** @var resource|null */
    private static $webServer;
    /** @var int */
    private static $webPort;
    /** @var string */
    private static $docroot;

    public static function setUpBeforeClass(): void
    {
        // A plain PHP web server that returns HTML plays a misconfigured address.
        $docroot = sys_get_temp_dir() . '/ostorbridge-notdaemon-' . getmypid();
        self::$docroot = $docroot;
        @mkdir($docroot . '/rpc', 0700, true);
        file_put_contents($docroot . '/rpc/index.php', '<?php header("Content-Type: text/html"); echo "<html>welcome</html>";');
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        self::$webPort = (int) substr($name, strrpos($name, ':') + 1);
        self::$webServer = proc_open(
            [PHP_BINARY, '-S', '127.0.0.1:' . self::$webPort, '-t', $docroot],
            [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes
        );
        for ($i = 0; $i < 50; $i++) {
            $probe = @fsockopen('127.0.0.1', self::$webPort);
            if ($probe) {
                fclose($probe);
                return;
            }
            usleep(100000);
        }
        self::fail('php -S did not start');
    }

    public static function tearDownAfterClass(): void
    {
        if (self::$webServer) {
            proc_terminate(self::$webServer);
            proc_close(self::$webServer);
        }
        @unlink(self::$docroot . '/rpc/index.php');
        @rmdir(self::$docroot . '/rpc');
        @rmdir(self::$docroot);
    }

    public function testCallReturnsResult(): void
    {
        $client = RpcClient::fromParams(ostorbridge_test_params());

        $reply = $client->call('System.Check');

        $this->assertTrue($reply['ok']);
        $this->assertTrue($reply['database']['ok']);
        $this->assertTrue($reply['gateway']['ok']);
    }

    public function testUnknownMethodIsAJsonRpcError(): void
    {
        $client = RpcClient::fromParams(ostorbridge_test_params());

        try {
            $client->call('Service.Explode', ['service_id' => 1]);
            $this->fail('expected an RpcException');
        } catch (RpcException $e) {
            $this->assertSame(-32601, $e->getCode());
            $this->assertSame('method_not_found', $e->getKind());
        }
    }

    public function testUnknownParamIsRejected(): void
    {
        $client = RpcClient::fromParams(ostorbridge_test_params());

        try {
            $client->call('Service.Create', ['service_id' => 1, 'serviceid' => 1]);
            $this->fail('expected an RpcException');
        } catch (RpcException $e) {
            $this->assertSame(-32602, $e->getCode());
            $this->assertStringContainsString('unknown field "serviceid"', $e->getMessage());
        }
    }

    public function testWrongTypeParamIsRejected(): void
    {
        $client = RpcClient::fromParams(ostorbridge_test_params());

        try {
            $client->call('Service.Create', ['service_id' => 'forty-two']);
            $this->fail('expected an RpcException');
        } catch (RpcException $e) {
            $this->assertSame(-32602, $e->getCode());
            $this->assertSame('invalid_params', $e->getKind());
        }
    }

    public function testNonJsonReplyIsRejected(): void
    {
        $client = new RpcClient('http://127.0.0.1:' . self::$webPort . '/rpc/', 'a-secret-of-enough-length');

        try {
            $client->call('System.Check');
            $this->fail('expected an RpcException');
        } catch (RpcException $e) {
            $this->assertSame('transport', $e->getKind());
            $this->assertStringContainsString('instead of JSON', $e->getMessage());
        }
    }

    public function testUnixSocketHostname(): void
    {
        $client = RpcClient::fromParams(['serverhostname' => 'unix:/run/ostor-bridge/rpc.sock', 'serverpassword' => 'x']);

        $this->assertSame('unix:/run/ostor-bridge/rpc.sock', $client->address());
    }

    public function testHostAndPortInHostnameAreSplit(): void
    {
        $client = RpcClient::fromParams(['serverhostname' => '127.0.0.1:7381', 'serverpassword' => 'x']);

        $this->assertSame('http://127.0.0.1:7381/rpc', $client->address());
    }

    public function testConflictingPortsAreAConfigurationError(): void
    {
        $this->expectException(RpcException::class);
        $this->expectExceptionMessage('names port 7381 in the hostname and port 7380 in the Port field');

        RpcClient::fromParams(['serverhostname' => '127.0.0.1:7381', 'serverport' => 7380, 'serverpassword' => 'x']);
    }

    public function testIpv6HostnameIsBracketed(): void
    {
        $client = RpcClient::fromParams(['serverhostname' => '::1', 'serverport' => 7381, 'serversecure' => 'on', 'serverpassword' => 'x']);

        $this->assertSame('https://[::1]:7381/rpc', $client->address());
    }
}
