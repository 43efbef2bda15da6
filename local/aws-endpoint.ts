/**
 * DNS domains under which AWS serves its regional endpoints: amazonaws.com (commercial, GovCloud, FIPS),
 * amazonaws.com.cn (China), api.aws (dual-stack) and amazonaws.eu (European Sovereign Cloud).
 */
export const AWS_ENDPOINT_DOMAINS: readonly string[] = ['amazonaws.com', 'amazonaws.com.cn', 'api.aws', 'amazonaws.eu'];

/** The host as DNS sees it: lowercase, percent-escapes undone, without the trailing dots of a fully qualified name. */
export const normalizedHost = (endpoint: string): string | undefined => {
  let hostname: string;
  try {
    hostname = new URL(endpoint).hostname;
  } catch {
    return undefined;
  }
  try {
    // http and https hosts come back decoded; other schemes keep their escapes.
    hostname = decodeURIComponent(hostname);
  } catch {
    // A stray % stays as it is.
  }
  return hostname.toLowerCase().replace(/\.+$/, '');
};

/**
 * Whether a DynamoDB endpoint URL points at AWS itself: the host is one of AWS_ENDPOINT_DOMAINS or ends in one of them.
 * Pure; `npm start` refuses such an endpoint because it writes the sample customers.
 */
export const isAwsEndpoint = (endpoint: string): boolean => {
  const host = normalizedHost(endpoint);
  if (host === undefined) return false;
  return AWS_ENDPOINT_DOMAINS.some((domain) => host === domain || host.endsWith(`.${domain}`));
};
