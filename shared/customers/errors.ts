/** Base of every failure the rename can report; the HTTP layer maps each subclass to a status and code. */
export abstract class CustomerError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller sent something the API cannot accept; the message says which field and which rule. */
export class InvalidArgumentError extends CustomerError {}

export class CustomerNotFoundError extends CustomerError {}

/** A different customer already holds the requested externalId. */
export class ExternalIdTakenError extends CustomerError {
  constructor(readonly externalId: string) {
    super(`externalId ${JSON.stringify(externalId)} is already held by another customer; choose a different externalId.`);
  }
}

/** Other writes to the same customer kept winning until the retries ran out. */
export class ConcurrentUpdateError extends CustomerError {
  constructor() {
    super('The customer was changed by other requests while this rename was being applied; read it again and retry.');
  }
}

/** The database is unreachable, throttled or failing in a way that a later retry may fix. */
export class StorageUnavailableError extends CustomerError {}

/** The database failed in a way that retrying cannot fix, or holds data that breaks the model. */
export class StorageError extends CustomerError {}
