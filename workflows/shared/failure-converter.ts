/**
 * The failure converter of every Gatehouse worker and workflow bundle (dataConverter
 * `failureConverterPath`). It is the default one, except that every string it writes into a
 * Failure is made well-formed Unicode first: a lone surrogate that slips into an error message
 * would otherwise make Core fail the activation and stop the worker (see ./text.ts). Validators
 * refuse such input before it gets here; this is the backstop.
 */
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure, type SerializationContext } from '@temporalio/common';
import { wellFormed } from './text';

class WellFormedFailureConverter extends DefaultFailureConverter {
  override errorToFailure(err: unknown, payloadConverter: PayloadConverter, context?: SerializationContext): ProtoFailure {
    const failure = super.errorToFailure(err, payloadConverter, context);
    for (let f: ProtoFailure | null | undefined = failure; f; f = f.cause) {
      if (f.message) f.message = wellFormed(f.message);
      if (f.stackTrace) f.stackTrace = wellFormed(f.stackTrace);
      if (f.source) f.source = wellFormed(f.source);
      if (f.applicationFailureInfo?.type) f.applicationFailureInfo.type = wellFormed(f.applicationFailureInfo.type);
    }
    return failure;
  }
}

export const failureConverter = new WellFormedFailureConverter();
