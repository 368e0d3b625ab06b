<?php

use PHPUnit\Framework\TestCase;

/**
 * Drives the module's hooks against the real daemon, with its address in the OSTOR_BRIDGE_RPC_*
 * environment variables as a WHMCS install would set them.
 */
final class HooksTest extends TestCase
{
    private const SETTINGS = ['OSTOR_BRIDGE_RPC_HOST', 'OSTOR_BRIDGE_RPC_PORT', 'OSTOR_BRIDGE_RPC_SECRET'];

    protected function setUp(): void
    {
        ostorbridge_test_take_activity();
        putenv('OSTOR_BRIDGE_RPC_HOST=' . ostorbridge_test_env('HOST'));
        putenv('OSTOR_BRIDGE_RPC_PORT=' . ostorbridge_test_env('PORT'));
        putenv('OSTOR_BRIDGE_RPC_SECRET=' . ostorbridge_test_env('SECRET'));
    }

    protected function tearDown(): void
    {
        foreach (self::SETTINGS as $name) {
            putenv($name);
        }
    }

    public function testClientEditForwardsEmailChange(): void
    {
        $client = (int) ostorbridge_test_env('LIFECYCLE_CLIENT_ID');

        $reply = ostorbridge_hook_ClientEdit([
            'userid' => $client,
            'email' => 'lifecycle@example.com',
            'olddata' => ['email' => 'lifecycle-old@example.com'],
        ]);

        $this->assertIsArray($reply, 'the daemon did not accept the email change: ' . implode(' ', ostorbridge_test_take_activity()));
        $this->assertSame($client, $reply['client_id']);
    }

    public function testClientEditIgnoresUnchangedEmail(): void
    {
        // With a wrong secret any call would fail and be logged, so an empty log proves that an
        // unchanged email never reached the daemon.
        putenv('OSTOR_BRIDGE_RPC_SECRET=not-the-daemon-secret-at-all');

        $reply = ostorbridge_hook_ClientEdit([
            'userid' => 5,
            'email' => 'Same@example.com',
            'olddata' => ['email' => 'same@example.com'],
        ]);

        $this->assertNull($reply);
        $this->assertSame([], ostorbridge_test_take_activity());
    }

    public function testServiceDeleteWithoutS3UserChangesNothing(): void
    {
        $reply = ostorbridge_hook_ServiceDelete(['userid' => 1, 'serviceid' => (int) ostorbridge_test_env('MISSING_SERVICE_ID')]);

        $this->assertIsArray($reply);
        $this->assertFalse($reply['disabled']);
    }

    public function testAfterClientMergeRejectsSameClientQuietly(): void
    {
        $this->expectOutputString('');

        $reply = ostorbridge_hook_AfterClientMerge(['fromUserID' => 3, 'toUserID' => 3]);

        $this->assertNull($reply);
        $activity = implode("\n", ostorbridge_test_take_activity());
        $this->assertStringContainsString('ostor-bridge AfterClientMerge hook failed', $activity);
        $this->assertStringContainsString('cannot be merged into itself', $activity);
    }

    public function testHookWithoutSettingsFailsQuietly(): void
    {
        foreach (self::SETTINGS as $name) {
            putenv($name);
        }
        $this->expectOutputString('');

        $reply = ostorbridge_hook_ServiceDelete(['serviceid' => 12]);

        $this->assertNull($reply);
        $this->assertStringContainsString('ostor-bridge ServiceDelete hook failed: The ostor-bridge daemon address is not configured', implode("\n", ostorbridge_test_take_activity()));
    }
}
