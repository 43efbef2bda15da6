import type { App } from 'aws-cdk-lib';

/** Who may call the API: the JWT issuer and the audiences the authorizer accepts. */
export interface AuthContext {
  jwtIssuer: string;
  jwtAudience: string[];
}

export class AuthContextError extends Error {
  override name = 'AuthContextError';
}

const USAGE =
  'Pass both CDK context keys jwtIssuer and jwtAudience, for example:\n' +
  '  cdk deploy -c jwtIssuer=https://... -c jwtAudience=...\n' +
  '(jwtAudience may list several audiences separated by commas).';

const readString = (app: App, key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  if (value === undefined || value === null) return undefined;
  // `-c key=value` gives a string; cdk.json or an App's context may hold a list or something else.
  if (Array.isArray(value)) return value.map(String).join(',').trim() || undefined;
  return String(value).trim() || undefined;
};

/** Reads and checks the authorizer settings from CDK context; throws an AuthContextError naming the keys. */
export const readAuthContext = (app: App): AuthContext => {
  const issuer = readString(app, 'jwtIssuer');
  const audienceList = readString(app, 'jwtAudience');
  const missing = [issuer === undefined && 'jwtIssuer', audienceList === undefined && 'jwtAudience'].filter(
    (key): key is string => typeof key === 'string',
  );
  if (issuer === undefined || audienceList === undefined) {
    throw new AuthContextError(`Missing CDK context ${missing.join(' and ')}. ${USAGE}`);
  }

  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new AuthContextError(`jwtIssuer ${JSON.stringify(issuer)} is not a URL. ${USAGE}`);
  }
  if (url.protocol !== 'https:' || url.hostname === '') {
    throw new AuthContextError(`jwtIssuer ${JSON.stringify(issuer)} must be an https:// URL. ${USAGE}`);
  }

  const audience = [...new Set(audienceList.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))];
  if (audience.length === 0) {
    throw new AuthContextError(`jwtAudience ${JSON.stringify(audienceList)} names no audience. ${USAGE}`);
  }
  return { jwtIssuer: issuer, jwtAudience: audience };
};
