import { isAwsEndpoint, normalizedHost } from '../../local/aws-endpoint.js';

describe('isAwsEndpoint', () => {
  it.each([
    'https://dynamodb.us-east-1.amazonaws.com',
    'https://dynamodb.us-east-1.amazonaws.com/',
    'https://dynamodb.us-east-1.amazonaws.com.',
    'https://dynamodb.us-east-1.amazonaws.com..',
    'https://DynamoDB.US-EAST-1.AmazonAWS.com',
    'http://dynamodb.us-east-1.amazonaws.com:443',
    'https://dynamodb-fips.us-gov-west-1.amazonaws.com',
    'https://dynamodb.cn-north-1.amazonaws.com.cn',
    'https://dynamodb.cn-north-1.amazonaws.com.cn.',
    'https://dynamodb.us-east-1.api.aws',
    'https://dynamodb.us-east-1.api.aws.',
    'https://dynamodb.eusc-de-east-1.amazonaws.eu',
    'https://amazonaws.com',
    'https://amazonaws.com.',
    'https://amazonaws.com.cn',
    'https://api.aws',
    'https://dynamodb.us-east-1.amazonaws%2Ecom',
    'https://user:pass@dynamodb.us-east-1.amazonaws.com',
    'custom://dynamodb.us-east-1.AMAZONAWS.com.',
  ])('refuses %s', (endpoint) => {
    expect(isAwsEndpoint(endpoint)).toBe(true);
  });

  it.each([
    'http://127.0.0.1:8000',
    'http://localhost:8000',
    'http://[::1]:8000',
    'http://dynamodb.local:8000',
    'http://amazonaws.com.example.test',
    'http://notamazonaws.com',
    'http://myapi.aws.example',
    'http://amazonaws.com@127.0.0.1:8000',
    'not a url',
  ])('accepts %s', (endpoint) => {
    expect(isAwsEndpoint(endpoint)).toBe(false);
  });
});

describe('normalizedHost', () => {
  it('lowercases and strips the trailing dots of a fully qualified name', () => {
    expect(normalizedHost('https://DynamoDB.Example.COM../x')).toBe('dynamodb.example.com');
  });
});
