<?php

use PHPUnit\Framework\TestCase;

/**
 * Drives the module's UsageUpdate against the real daemon, MariaDB and fake gateway.
 */
final class UsageTest extends TestCase
{
    public function testUsageUpdateSucceedsAndRepeats(): void
    {
        $params = ostorbridge_test_params(['serverid' => 1]);

        $this->assertSame('success', ostorbridge_UsageUpdate($params));
        $this->assertSame('success', ostorbridge_UsageUpdate($params), 'a repeated UsageUpdate must succeed');
    }

    public function testUsageUpdateAcceptsServerIdAsString(): void
    {
        $this->assertSame('success', ostorbridge_UsageUpdate(ostorbridge_test_params(['serverid' => '1'])));
    }

    public function testUsageUpdateReportsWrongSecret(): void
    {
        $result = ostorbridge_UsageUpdate(ostorbridge_test_params(['serverpassword' => 'not-the-daemon-secret-at-all']));

        $this->assertStringContainsString('signature does not match', $result);
    }

    public function testUsageUpdatePrintsNothing(): void
    {
        $this->expectOutputString('');

        ostorbridge_UsageUpdate(ostorbridge_test_params());
    }
}
