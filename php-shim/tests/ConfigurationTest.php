<?php

use OstorBridge\Addon\Addon;
use OstorBridge\Settings;
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../modules/addons/ostorbridge/lib/Addon.php';
require_once __DIR__ . '/whmcs-admin-stubs.php';

/**
 * Every entry point reaches the live daemon with the one configuration the README describes,
 * the OSTOR_BRIDGE_RPC_* constants of configuration.php, and no server record or addon settings.
 * Without any configuration, every entry point reports an error that names what to set.
 *
 * The tests that define constants run in their own process, because a constant cannot be
 * removed again.
 */
final class ConfigurationTest extends TestCase
{
    private const NOT_CONFIGURED = 'The ostor-bridge daemon address is not configured: define OSTOR_BRIDGE_RPC_HOST';

    protected function setUp(): void
    {
        self::clearEnvironment();
        ostorbridge_test_take_activity();
        $_SESSION = ['adminid' => 5];
        $_GET = [];
        $_POST = [];
        $_REQUEST = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $GLOBALS['addon_test_token'] = 'good-token';
        $GLOBALS['addon_test_permissions'] = [Addon::VIEW_PERMISSION, Addon::ACT_PERMISSION];
    }

    protected function tearDown(): void
    {
        self::clearEnvironment();
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testModuleFunctionsUseConfiguration(): void
    {
        self::defineConfiguration();
        $missing = (int) ostorbridge_test_env('MISSING_SERVICE_ID');
        // Stands in for WHMCS's module log and records the strings each call passes to be masked.
        function logModuleCall($module, $action, $request, $response, $processed = '', array $mask = [])
        {
            $GLOBALS['configuration_test_masks'][$action] = $mask;
        }

        $this->assertSame(['success' => true, 'error' => ''], ostorbridge_TestConnection(['serverid' => 1]));
        $this->assertStringContainsString("WHMCS service $missing does not exist", ostorbridge_CreateAccount(['serviceid' => $missing]));

        $masks = $GLOBALS['configuration_test_masks'] ?? [];
        $this->assertContains(ostorbridge_test_env('SECRET'), $masks['TestConnection'] ?? [], 'the module log must mask the secret from configuration.php');
        $this->assertContains(ostorbridge_test_env('SECRET'), $masks['CreateAccount'] ?? []);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testConfigurationWinsOverServerRecord(): void
    {
        self::defineConfiguration();
        $stale = ['serverhostname' => '127.0.0.1', 'serverport' => self::closedPort(), 'serverpassword' => 'a-stale-server-record-secret'];

        $this->assertSame(['success' => true, 'error' => ''], ostorbridge_TestConnection($stale));
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testHooksUseConfiguration(): void
    {
        self::defineConfiguration();
        $client = (int) ostorbridge_test_env('LIFECYCLE_CLIENT_ID');

        $edited = ostorbridge_hook_ClientEdit(['userid' => $client, 'email' => 'lifecycle@example.com', 'olddata' => ['email' => 'lifecycle-before@example.com']]);
        $deleted = ostorbridge_hook_ServiceDelete(['serviceid' => (int) ostorbridge_test_env('MISSING_SERVICE_ID')]);
        // The daemon rejects a merge of a client into itself, so this call reaches it and changes nothing.
        $merged = ostorbridge_hook_AfterClientMerge(['fromUserID' => $client, 'toUserID' => $client]);

        $activity = implode("\n", ostorbridge_test_take_activity());
        $this->assertIsArray($edited, 'ClientEdit: ' . $activity);
        $this->assertSame($client, $edited['client_id']);
        $this->assertIsArray($deleted, 'ServiceDelete: ' . $activity);
        $this->assertFalse($deleted['disabled']);
        $this->assertNull($merged);
        $this->assertStringContainsString('cannot be merged into itself', $activity);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testWrongSecretNamesItsSource(): void
    {
        define(Settings::HOST, ostorbridge_test_env('HOST'));
        define(Settings::PORT, ostorbridge_test_env('PORT'));
        define(Settings::SECRET, 'not-the-daemon-secret-at-all');
        $source = "This WHMCS reads the RPC secret from OSTOR_BRIDGE_RPC_SECRET in WHMCS's configuration.php, which must equal the daemon's OSTOR_BRIDGE_RPC_SECRET (or rpc.secret).";

        $created = ostorbridge_CreateAccount(['serviceid' => 1]);
        $deleted = ostorbridge_hook_ServiceDelete(['serviceid' => 1]);

        $this->assertStringContainsString('signature does not match', $created);
        $this->assertStringContainsString($source, $created);
        $this->assertNull($deleted);
        $activity = implode("\n", ostorbridge_test_take_activity());
        $this->assertStringContainsString('signature does not match', $activity);
        $this->assertStringContainsString($source, $activity);
        $this->assertStringNotContainsString('not-the-daemon-secret-at-all', $created . $activity);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testSummaryHookUsesConfiguration(): void
    {
        self::defineConfiguration();
        $html = self::runSummaryHook((int) ostorbridge_test_env('LIFECYCLE_CLIENT_ID'));

        $this->assertStringContainsString('id="ostorbridge-panel"', $html);
        $this->assertStringNotContainsString('alert-danger', $html);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testAddonPageUsesConfiguration(): void
    {
        self::defineConfiguration();
        $_GET = ['view' => 'users'];
        $_REQUEST = ['userid' => ostorbridge_test_env('LIFECYCLE_CLIENT_ID')];

        $html = self::runAddonPage();

        $this->assertStringContainsString('id="ostorbridge-users"', $html);
        $this->assertStringNotContainsString('alert-danger', $html);
    }

    public function testUnreachableDaemonNamesSource(): void
    {
        $port = self::closedPort();
        putenv(Settings::HOST . '=127.0.0.1:' . $port);
        putenv(Settings::SECRET . '=' . ostorbridge_test_env('SECRET'));

        $result = ostorbridge_TestConnection(['serverhostname' => '127.0.0.1', 'serverpassword' => 'a-server-record-secret']);

        $this->assertFalse($result['success']);
        $this->assertStringContainsString("Could not reach the ostor-bridge daemon at http://127.0.0.1:$port/rpc", $result['error']);
        $this->assertStringContainsString("This WHMCS reads the daemon address from the environment variable OSTOR_BRIDGE_RPC_HOST, which must match the daemon's rpc.listen.", $result['error']);
        $this->assertStringNotContainsString('server record', $result['error'], 'the server record was not used');
    }

    public function testModuleFunctionsWithoutConfigurationNameWhatToSet(): void
    {
        $created = ostorbridge_CreateAccount(['serviceid' => 1]);
        $tested = ostorbridge_TestConnection([]);

        $this->assertStringContainsString(self::NOT_CONFIGURED, $created);
        $this->assertStringContainsString('or fill in the "Daemon address" and "RPC secret" settings of the ostor-bridge S3 panel addon', $created);
        $this->assertStringContainsString('or enter the daemon address and RPC secret as the hostname, port and password of the WHMCS server record', $created);
        $this->assertFalse($tested['success']);
        $this->assertStringContainsString(self::NOT_CONFIGURED, $tested['error']);
    }

    public function testHooksWithoutConfigurationLogWhatToSet(): void
    {
        $this->expectOutputString('');
        $calls = [
            'ClientEdit' => function () {
                return ostorbridge_hook_ClientEdit(['userid' => 3, 'email' => 'new@example.com', 'olddata' => ['email' => 'old@example.com']]);
            },
            'AfterClientMerge' => function () {
                return ostorbridge_hook_AfterClientMerge(['fromUserID' => 3, 'toUserID' => 4]);
            },
            'ServiceDelete' => function () {
                return ostorbridge_hook_ServiceDelete(['serviceid' => 12]);
            },
        ];

        foreach ($calls as $hook => $call) {
            $this->assertNull($call(), $hook);
            $activity = ostorbridge_test_take_activity();
            $this->assertCount(1, $activity, "$hook must write one activity log entry");
            $this->assertStringStartsWith("ostor-bridge $hook hook failed: " . self::NOT_CONFIGURED, $activity[0]);
            $this->assertStringContainsString("WHMCS's configuration.php", $activity[0]);
        }
    }

    public function testSummaryHookWithoutConfigurationNamesWhatToSet(): void
    {
        $html = Addon::summary(['userid' => 3], []);

        $this->assertStringContainsString('class="alert alert-danger"', $html);
        $this->assertStringContainsString('The S3 panel is not available: ' . self::NOT_CONFIGURED, $html);
    }

    public function testAddonPageWithoutConfigurationNamesWhatToSet(): void
    {
        $_GET = ['view' => 'users'];
        $_REQUEST = ['userid' => '3'];

        ob_start();
        Addon::output([]);
        $html = (string) ob_get_clean();

        $this->assertStringContainsString('class="alert alert-danger"', $html);
        $this->assertStringContainsString(self::NOT_CONFIGURED, $html);
    }

    private static function clearEnvironment(): void
    {
        foreach ([Settings::HOST, Settings::PORT, Settings::SECRET] as $name) {
            putenv($name);
        }
    }

    /** Defines the constants as the README's install steps put them into configuration.php. */
    private static function defineConfiguration(): void
    {
        define(Settings::HOST, ostorbridge_test_env('HOST'));
        define(Settings::PORT, ostorbridge_test_env('PORT'));
        define(Settings::SECRET, ostorbridge_test_env('SECRET'));
    }

    /** Loads the addon's hooks.php as WHMCS does and runs its AdminAreaClientSummaryPage hook. */
    private static function runSummaryHook(int $clientId): string
    {
        function add_hook($hookPoint, $priority, $callback)
        {
            $GLOBALS['configuration_test_hooks'][$hookPoint][] = $callback;
        }
        require __DIR__ . '/../modules/addons/ostorbridge/hooks.php';

        $hooks = $GLOBALS['configuration_test_hooks']['AdminAreaClientSummaryPage'] ?? [];
        if (count($hooks) !== 1) {
            throw new \RuntimeException('the addon registered ' . count($hooks) . ' AdminAreaClientSummaryPage hooks, want 1');
        }
        return (string) $hooks[0](['userid' => $clientId]);
    }

    /** Runs the addon page as WHMCS does, with no addon settings in $vars, and returns its output. */
    private static function runAddonPage(): string
    {
        require_once __DIR__ . '/../modules/addons/ostorbridge/ostorbridge.php';
        ob_start();
        ostorbridge_output(['modulelink' => 'addonmodules.php?module=ostorbridge', 'version' => '1.0']);
        return (string) ob_get_clean();
    }

    /** Returns a loopback port that refused connections a moment ago. */
    private static function closedPort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($socket, false);
        fclose($socket);
        return (int) substr($name, strrpos($name, ':') + 1);
    }
}
