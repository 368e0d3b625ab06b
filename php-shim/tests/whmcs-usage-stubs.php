<?php
/**
 * Stand-ins for the WHMCS usage-billing classes (WHMCS 7.9+) with the constructor and method
 * signatures WHMCS documents, so the module's metric provider can run outside WHMCS.
 */

namespace WHMCS\UsageBilling\Contracts\Metrics {
    interface ProviderInterface
    {
        public function metrics();
        public function usage();
        public function tenantUsage($tenant);
    }

    interface MetricInterface
    {
        const TYPE_SNAPSHOT = 'snapshot';
        const TYPE_PERIOD_DAY = 'day';
        const TYPE_PERIOD_MONTH = 'month';
    }
}

namespace WHMCS\UsageBilling\Metrics\Units {
    class GigaBytes
    {
    }
}

namespace WHMCS\UsageBilling\Metrics {
    use WHMCS\UsageBilling\Contracts\Metrics\MetricInterface;

    class Usage
    {
        private $value;

        public function __construct($value)
        {
            $this->value = $value;
        }

        public function value()
        {
            return $this->value;
        }
    }

    class Metric implements MetricInterface
    {
        private $systemName;
        private $type;
        private $usage;

        public function __construct($systemName, $displayName = null, $type = null, $units = null, $usage = null)
        {
            $this->systemName = $systemName;
            $this->type = $type;
            $this->usage = $usage;
        }

        public function withUsage($usage = null)
        {
            $copy = clone $this;
            $copy->usage = $usage;
            return $copy;
        }

        public function usage()
        {
            return $this->usage;
        }

        public function systemName()
        {
            return $this->systemName;
        }

        public function type()
        {
            return $this->type;
        }
    }
}
