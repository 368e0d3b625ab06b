<?php

use PHPUnit\Framework\TestCase;

/**
 * Drives the admin buttons and the key list against the real daemon, MariaDB and fake gateway.
 * Each test leaves the service with the one key pair CreateAccount issued.
 */
final class ButtonsTest extends TestCase
{
    /** @var array */
    private $params;

    protected function setUp(): void
    {
        unset($_POST[OSTORBRIDGE_REVOKE_FIELD], $_REQUEST[OSTORBRIDGE_REVOKE_FIELD]);
        $this->params = ostorbridge_test_params(['serviceid' => (int) ostorbridge_test_env('SERVICE_ID')]);
        $this->assertSame('success', ostorbridge_CreateAccount($this->params));
    }

    protected function tearDown(): void
    {
        unset($_POST[OSTORBRIDGE_REVOKE_FIELD], $_REQUEST[OSTORBRIDGE_REVOKE_FIELD]);
    }

    public function testButtonArrayNamesTheKeyFunctions(): void
    {
        $this->assertSame(
            ['Generate access key' => 'GenerateKey', 'Revoke access key' => 'RevokeKey', 'Reconcile' => 'Reconcile'],
            ostorbridge_AdminCustomButtonArray()
        );
    }

    public function testRevokeRevokesTheChosenKey(): void
    {
        $before = $this->listedKeys();
        $this->assertCount(1, $before);

        $this->assertSame('success', ostorbridge_GenerateKey($this->params));
        $both = $this->listedKeys();
        $this->assertCount(2, $both);

        // The second listed key is chosen, so a module that revokes the first key fails.
        $_POST[OSTORBRIDGE_REVOKE_FIELD] = $both[1];

        $this->assertSame('success', ostorbridge_RevokeKey($this->params));
        $this->assertSame([$both[0]], $this->listedKeys());
    }

    public function testRevokeWithoutChoiceChangesNothing(): void
    {
        $before = $this->listedKeys();

        $result = ostorbridge_RevokeKey($this->params);

        $this->assertStringContainsString('Choose the access key to revoke', $result);
        $this->assertSame($before, $this->listedKeys());
    }

    public function testRevokeUnknownKeyIsRejected(): void
    {
        $_POST[OSTORBRIDGE_REVOKE_FIELD] = 'NOSUCHKEY0000000XXXX';

        $result = ostorbridge_RevokeKey($this->params);

        $this->assertStringContainsString('access key "NOSUCHKEY0000000XXXX" is not recorded for service', $result);
    }

    public function testRevokeLastKeyIsRejected(): void
    {
        $keys = $this->listedKeys();
        $_POST[OSTORBRIDGE_REVOKE_FIELD] = $keys[0];

        $result = ostorbridge_RevokeKey($this->params);

        $this->assertStringContainsString('is the last working access key', $result);
        $this->assertSame($keys, $this->listedKeys());
    }

    public function testThirdKeyIsRejected(): void
    {
        $this->assertSame('success', ostorbridge_GenerateKey($this->params));
        $two = $this->listedKeys();

        $result = ostorbridge_GenerateKey($this->params);

        $this->assertStringContainsString('revoke one with Revoke access key first', $result);
        $this->assertSame($two, $this->listedKeys());

        // Restore the one-key state for the other tests.
        $_POST[OSTORBRIDGE_REVOKE_FIELD] = $two[1];
        $this->assertSame('success', ostorbridge_RevokeKey($this->params));
    }

    public function testReconcileOfCleanServiceSucceeds(): void
    {
        $this->assertSame('success', ostorbridge_Reconcile($this->params));
    }

    public function testKeyFieldPostsTheKeyIdToRevokeKey(): void
    {
        $html = ostorbridge_AdminServicesTabFields($this->params)['S3 access keys'];

        $this->assertStringContainsString('modop=custom&amp;ac=RevokeKey', $html);
        $this->assertStringContainsString('name="' . OSTORBRIDGE_REVOKE_FIELD . '" value="' . $this->listedKeys()[0] . '"', $html);
    }

    public function testKeyFieldShowsDaemonErrors(): void
    {
        $params = array_merge($this->params, ['serviceid' => (int) ostorbridge_test_env('MISSING_SERVICE_ID')]);

        $html = ostorbridge_AdminServicesTabFields($params)['S3 access keys'];

        $this->assertStringContainsString('does not exist', $html);
        $this->assertStringContainsString('text-danger', $html);
    }

    public function testButtonsPrintNothing(): void
    {
        $this->expectOutputString('');

        ostorbridge_AdminServicesTabFields($this->params);
        ostorbridge_RevokeKey($this->params);
        ostorbridge_Reconcile($this->params);
    }

    /** Returns the key ids the service page lists, in the order it lists them. */
    private function listedKeys(): array
    {
        $html = ostorbridge_AdminServicesTabFields($this->params)['S3 access keys'];
        preg_match_all('/name="' . OSTORBRIDGE_REVOKE_FIELD . '" value="([^"]+)"/', $html, $matches);
        return $matches[1];
    }
}
