import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** A JSON answer to an HTTP API request. */
export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The body exactly as sent (signatures are over these bytes), whether or not API Gateway base64-encoded it. */
export function rawBody(event: APIGatewayProxyEventV2): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

/** A header by its lower-case name (HTTP API's form), or as spelled by a hand-written test event. */
export function header(event: APIGatewayProxyEventV2, lowerCaseName: string, spelled: string): string | undefined {
  return event.headers?.[lowerCaseName] ?? event.headers?.[spelled];
}
