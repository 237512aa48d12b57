/**
 * Errors classed by cause (see STYLE.md): the class fixes how a failure is reported, retried and logged.
 * Nothing anywhere matches on message text; callers match on the class and on `code`.
 */

/** One invalid field of a request, as RFC 9457 `errors[]` entries name it. */
export interface FieldProblem {
  /** JSON-pointer-like path of the field, e.g. `variables` or `changeset.dueDate`. */
  field: string;
  message: string;
}

/** Bad input or a broken business rule: the caller can fix it. 4xx, logged at info. */
export class UserError extends Error {
  /** HTTP status this error maps to. */
  readonly status: number = 400;
  /** Stable machine-readable reason, e.g. `JOB_NOT_FOUND`. */
  readonly code: string;
  /** Per-field problems, when the error is about a request's fields. */
  readonly errors?: FieldProblem[];

  constructor(code: string, message: string, errors?: FieldProblem[]) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.errors = errors;
  }
}

/** A request that is malformed or carries an invalid value (400). */
export class InvalidArgumentError extends UserError {
  override readonly status = 400;
}

/** The thing named does not exist, or no longer does (404). */
export class NotFoundError extends UserError {
  override readonly status = 404;
}

/** The request is valid but clashes with the current state: already completed, held by someone else (409). */
export class ConflictError extends UserError {
  override readonly status = 409;
}

/** Authenticated but not allowed (403). */
export class ForbiddenError extends UserError {
  override readonly status = 403;
}

/** The request content is larger than the server accepts (413 Content Too Large, RFC 9110 §15.5.14). */
export class ContentTooLargeError extends UserError {
  override readonly status = 413;
}

/** The request body, or a file in it, is in a media type the endpoint does not accept (415). */
export class UnsupportedMediaTypeError extends UserError {
  override readonly status = 415;
}

/** Well-formed but refused by a rule, e.g. a diagram that fails lint (422 Unprocessable Content). */
export class UnprocessableError extends UserError {
  override readonly status = 422;
}

/** Not authenticated (401). */
export class UnauthorizedError extends UserError {
  override readonly status = 401;
}

/** A passing failure (lock timeout, deadlock, network): retrying the same request may succeed. 503, warn. */
export class TransientError extends Error {
  readonly status = 503;
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
    this.code = code;
  }
}

/** A bug: a state the code believes impossible. 500, logged at error. */
export class UnexpectedError extends Error {
  readonly status = 500;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnexpectedError';
  }
}
