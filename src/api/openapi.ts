import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { HttpProblem, httpTitle, PROBLEM_MEDIA_TYPE, type Problem } from './problem.ts';

/** A named example of a request body, as Swagger UI's example picker shows it. */
export interface BodyExample {
  summary: string;
  value: unknown;
}

declare module 'fastify' {
  interface FastifySchema {
    /** Documentation only: named examples of the JSON request body (one per variant of a union). */
    bodyExamples?: Record<string, BodyExample>;
    /**
     * Documentation only: a request body that Fastify does not parse into `request.body`
     * (a multipart upload read as a stream), so it cannot be a validated `body` schema.
     */
    documentedBody?: { contentType: string; schema: Record<string, unknown>; description?: string };
  }
}

type SwaggerTransform = typeof jsonSchemaTransform;
type SwaggerTransformObject = typeof jsonSchemaTransformObject;

/**
 * The per-route OpenAPI transform: the zod schemas as JSON Schema (fastify-type-provider-zod),
 * plus what a route documents without Fastify validating it (`documentedBody`, `bodyExamples`).
 */
export const openApiTransform: SwaggerTransform = (document) => {
  const { bodyExamples, documentedBody, ...schema } = (document.schema ?? {}) as Record<string, unknown> & {
    bodyExamples?: Record<string, BodyExample>;
    documentedBody?: { contentType: string; schema: Record<string, unknown>; description?: string };
  };
  const out = jsonSchemaTransform({ ...document, schema: document.schema ? schema : document.schema } as Parameters<SwaggerTransform>[0]);
  const transformed = out.schema as Record<string, unknown> | undefined;
  if (!transformed || transformed.hide) return out;
  if (documentedBody) {
    transformed.body = { ...documentedBody.schema, ...(documentedBody.description ? { description: documentedBody.description } : {}) };
    transformed.consumes = [documentedBody.contentType];
  }
  // @fastify/swagger moves `x-examples` from a body schema to the media type's `examples`; it
  // drops the siblings of a bare $ref, hence the allOf around a named component.
  if (bodyExamples && transformed.body) {
    const body = transformed.body as Record<string, unknown>;
    transformed.body = { ...('$ref' in body ? { allOf: [body] } : body), 'x-examples': bodyExamples };
  }
  const responses = (transformed.response ?? {}) as Record<string, { content?: Record<string, { example?: unknown }> }>;
  for (const [status, response] of Object.entries(responses)) {
    const media = response.content?.[PROBLEM_MEDIA_TYPE];
    if (media) media.example = problemExample(Number(status), out.url);
  }
  return out;
};

/** What a problem of this status looks like, for the documentation (the schema alone gives no sensible sample). */
function problemExample(status: number, url: string): Problem {
  const title = httpTitle(status);
  return {
    type: new HttpProblem(status, title).type,
    title,
    status,
    detail: 'What went wrong and what the client can do about it.',
    instance: url.replace(/:([A-Za-z0-9_]+)/g, '{$1}'),
  };
}

/**
 * The whole document: the named components from the zod registry, then tidied. zod writes
 * every `.int()` with the safe-integer range as bounds (−9007199254740991…), which says
 * nothing and which Swagger UI shows as the example value (an error "status" of
 * -9007199254740991): those bounds are dropped; real bounds stay.
 */
export const openApiTransformObject: SwaggerTransformObject = (document) => {
  const out = jsonSchemaTransformObject(document);
  dropSafeIntegerBounds(out);
  return out;
};

function dropSafeIntegerBounds(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) dropSafeIntegerBounds(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const object = node as Record<string, unknown>;
  if (object.type === 'integer' || (Array.isArray(object.type) && object.type.includes('integer'))) {
    if (object.minimum === Number.MIN_SAFE_INTEGER) delete object.minimum;
    if (object.maximum === Number.MAX_SAFE_INTEGER) delete object.maximum;
  }
  for (const value of Object.values(object)) dropSafeIntegerBounds(value);
}
