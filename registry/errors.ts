/**
 * The registry's errors, as Confluent Schema Registry reports them: an HTTP status and a body
 * `{"error_code": 40401, "message": "Subject 'x' not found."}`. Confluent clients branch on these codes (a 404
 * with 40403 is "no such schema id", a 409 is "incompatible"), so the registry's routes answer in this shape rather
 * than ticklake's `{"error": {...}}` (docs/registry.md lists the codes; docs/errors.md says why they differ).
 */

export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message };
  }
}

export function isRegistryError(e: unknown): e is RegistryError {
  return e instanceof RegistryError;
}

export const regErr = {
  subjectNotFound: (s: string) => new RegistryError(404, 40401, `Subject '${s}' not found.`),
  versionNotFound: (s: string, v: number | string) =>
    new RegistryError(404, 40402, `Version ${v} not found for subject '${s}'.`),
  schemaNotFound: (what = 'Schema not found') => new RegistryError(404, 40403, what),
  subjectSoftDeleted: (s: string) =>
    new RegistryError(404, 40404, `Subject '${s}' was soft deleted. Set permanent=true to delete permanently`),
  subjectNotSoftDeleted: (s: string) =>
    new RegistryError(404, 40405, `Subject '${s}' was not deleted first before being permanently deleted`),
  versionSoftDeleted: (s: string, v: number) =>
    new RegistryError(
      404,
      40406,
      `Subject '${s}' Version ${v} was soft deleted. Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (s: string, v: number) =>
    new RegistryError(404, 40407, `Subject '${s}' Version ${v} was not deleted first before being permanently deleted`),
  subjectConfigNotFound: (s: string) =>
    new RegistryError(404, 40408, `Subject '${s}' does not have subject-level compatibility configured`),
  subjectModeNotFound: (s: string) =>
    new RegistryError(404, 40409, `Subject '${s}' does not have subject-level mode configured`),
  incompatible: (s: string, details: string[]) =>
    new RegistryError(
      409,
      409,
      `Schema being registered is incompatible with an earlier schema for subject "${s}", details: [${details.join(', ')}]`,
    ),
  invalidSchema: (reason: string) => new RegistryError(422, 42201, `Invalid schema: ${reason}`),
  invalidVersion: (v: string) =>
    new RegistryError(
      422,
      42202,
      `The specified version '${v}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
    ),
  invalidCompatibility: (level: string) =>
    new RegistryError(
      422,
      42203,
      `Invalid compatibility level ${JSON.stringify(level)}. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`,
    ),
  invalidMode: (mode: string) =>
    new RegistryError(422, 42204, `Invalid mode ${JSON.stringify(mode)}. Valid values are READWRITE and READONLY`),
  notPermitted: (reason: string) => new RegistryError(422, 42205, `Operation not permitted: ${reason}`),
  badRequest: (reason: string) => new RegistryError(422, 422, `Unprocessable entity: ${reason}`),
  store: (reason: string) => new RegistryError(500, 50001, `Error in the backend data store: ${reason}`),
  timeout: (reason: string) => new RegistryError(500, 50002, `Operation timed out: ${reason}`),
};
