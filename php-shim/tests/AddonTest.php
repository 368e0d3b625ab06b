<?php

use OstorBridge\Addon\Addon;
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../modules/addons/ostorbridge/lib/Addon.php';

require_once __DIR__ . '/whmcs-admin-stubs.php';

/**
 * The tests that post run in their own process, because the redirect sends a header, which PHP
 * allows only before any output and PHPUnit has printed its progress by then.
 */
final class AddonTest extends TestCase
{
    /** Settings whose daemon address refuses connections, so any RPC attempt shows in the notice. */
    private const UNREACHABLE = ['daemon_address' => '127.0.0.1:1', 'rpc_secret' => '0123456789abcdef0123'];

    protected function setUp(): void
    {
        $_SESSION = ['adminid' => 5];
        $_POST = [];
        $_REQUEST = [];
        $_SERVER['REQUEST_METHOD'] = 'GET';
        $GLOBALS['addon_test_token'] = 'good-token';
        $GLOBALS['addon_test_permissions'] = [Addon::VIEW_PERMISSION, Addon::ACT_PERMISSION];
    }

    public function testSummaryNeedsViewPermission(): void
    {
        $GLOBALS['addon_test_permissions'] = [Addon::ACT_PERMISSION];
        $this->assertSame('', Addon::summary(['userid' => 3], self::UNREACHABLE));
    }

    public function testSummaryWithoutAdminSessionIsEmpty(): void
    {
        $_SESSION = [];
        $this->assertSame('', Addon::summary(['userid' => 3], self::UNREACHABLE));
    }

    public function testSummaryShowsEscapedErrorWhenDaemonIsDown(): void
    {
        $html = Addon::summary(['userid' => 3], ['daemon_address' => '', 'rpc_secret' => 'x']);
        $this->assertStringContainsString('class="alert alert-danger"', $html);
        $this->assertStringContainsString('no &quot;Daemon address&quot;', $html);

        $html = Addon::summary(['userid' => 3], self::UNREACHABLE);
        $this->assertStringContainsString('Could not reach the ostor-bridge daemon', $html);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testForgedPostNeverReachesDaemon(): void
    {
        $this->post(['userid' => '3', 'service_id' => '4', 'action' => 'generate_key', 'token' => 'forged']);
        $notice = $_SESSION[Addon::NOTICE_KEY][3] ?? null;
        $this->assertIsArray($notice);
        $this->assertFalse($notice['ok']);
        $this->assertStringContainsString('invalid CSRF token', $notice['message']);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testPostWithoutActPermissionNeverReachesDaemon(): void
    {
        $GLOBALS['addon_test_permissions'] = [Addon::VIEW_PERMISSION];
        $this->post(['userid' => '3', 'service_id' => '4', 'action' => 'generate_key', 'token' => 'good-token']);
        $notice = $_SESSION[Addon::NOTICE_KEY][3] ?? null;
        $this->assertIsArray($notice);
        $this->assertStringContainsString('"Perform Server Operations" permission', $notice['message']);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testValidPostIsForwarded(): void
    {
        $this->post(['userid' => '3', 'service_id' => '4', 'action' => 'generate_key', 'token' => 'good-token']);
        $notice = $_SESSION[Addon::NOTICE_KEY][3] ?? null;
        $this->assertIsArray($notice);
        // The unreachable daemon proves that the request got past both checks.
        $this->assertStringContainsString('Could not reach the ostor-bridge daemon', $notice['message']);
    }

    /**
     * @runInSeparateProcess
     * @preserveGlobalState disabled
     */
    public function testNoticeIsShownOnce(): void
    {
        $this->post(['userid' => '3', 'action' => 'generate_key', 'token' => 'forged']);
        $this->assertArrayHasKey(3, $_SESSION[Addon::NOTICE_KEY]);
        Addon::summary(['userid' => 3], self::UNREACHABLE);
        $this->assertArrayNotHasKey(3, $_SESSION[Addon::NOTICE_KEY]);
    }

    private function post(array $fields): void
    {
        $_SERVER['REQUEST_METHOD'] = 'POST';
        $_POST = $fields;
        $_REQUEST = $fields;
        ob_start();
        try {
            Addon::output(self::UNREACHABLE);
        } finally {
            $output = ob_get_clean();
        }
        $this->assertSame('', $output, 'a redirected action prints nothing');
    }
}
