export { PROVIDER_LIMITS_DEFAULTS, ProviderLimits, ProviderLimitsError, type Lease, type ModelLimits, type ProviderLimitsOptions } from "./provider-limits.ts";
