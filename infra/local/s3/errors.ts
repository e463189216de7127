// S3's error shape: the code, HTTP status and message S3 returns for each failure this engine can
// produce (codes and statuses from the "List of error codes" table of the Amazon S3 API Reference,
// ErrorResponses page). Service code throws S3Error; the wire layer (http.ts) turns it into S3's XML.

export class S3Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** Extra elements S3 adds to the error document (e.g. BucketName, Key, ArgumentName). */
    readonly extra: Record<string, string> = {},
    /** Headers S3 sends with the error (e.g. x-amz-delete-marker). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const errors = {
  noSuchBucket: (bucket: string) =>
    new S3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket }),
  noSuchKey: (key: string) =>
    new S3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key }),
  noSuchUpload: (uploadId: string) =>
    new S3Error(
      'NoSuchUpload',
      'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
      404,
      { UploadId: uploadId },
    ),
  bucketNotEmpty: (bucket: string) =>
    new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket }),
  bucketAlreadyOwnedByYou: (bucket: string) =>
    new S3Error(
      'BucketAlreadyOwnedByYou',
      'Your previous request to create the named bucket succeeded and you already own it.',
      409,
      { BucketName: bucket },
    ),
  invalidBucketName: (bucket: string) =>
    new S3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket }),
  keyTooLong: (size: number) =>
    new S3Error('KeyTooLongError', 'Your key is too long', 400, {
      Size: String(size),
      MaxSizeAllowed: '1024',
    }),
  invalidArgument: (message: string, name?: string, value?: string) =>
    new S3Error(
      'InvalidArgument',
      message,
      400,
      name === undefined ? {} : { ArgumentName: name, ArgumentValue: value ?? '' },
    ),
  invalidRequest: (message: string) => new S3Error('InvalidRequest', message, 400),
  malformedXml: () =>
    new S3Error(
      'MalformedXML',
      'The XML you provided was not well-formed or did not validate against our published schema',
      400,
    ),
  preconditionFailed: (condition: string) =>
    new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, {
      Condition: condition,
    }),
  invalidRange: (size: number) =>
    new S3Error('InvalidRange', 'The requested range is not satisfiable', 416, {
      ActualObjectSize: String(size),
    }),
  badDigest: (what: string) =>
    new S3Error('BadDigest', `The ${what} you specified did not match the calculated checksum.`, 400),
  invalidDigest: () => new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.', 400),
  incompleteBody: () =>
    new S3Error(
      'IncompleteBody',
      'You did not provide the number of bytes specified by the Content-Length HTTP header',
      400,
    ),
  missingContentLength: () =>
    new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411),
  entityTooLarge: (size: number, max: number) =>
    new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', 400, {
      ProposedSize: String(size),
      MaxSizeAllowed: String(max),
    }),
  entityTooSmall: (size: number) =>
    new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size', 400, {
      ProposedSize: String(size),
      MinSizeAllowed: String(5 * 1024 * 1024),
    }),
  invalidPart: (partNumber: number, eTag: string) =>
    new S3Error(
      'InvalidPart',
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
      400,
      { PartNumber: String(partNumber), ETag: eTag },
    ),
  invalidPartOrder: () =>
    new S3Error(
      'InvalidPartOrder',
      'The list of parts was not in ascending order. Parts must be ordered by part number.',
      400,
    ),
  invalidUri: () => new S3Error('InvalidURI', "Couldn't parse the specified URI.", 400),
  metadataTooLarge: (size: number) =>
    new S3Error('MetadataTooLarge', 'Your metadata headers exceed the maximum allowed metadata size.', 400, {
      Size: String(size),
      MaxSizeAllowed: '2048',
    }),
  methodNotAllowed: (method: string, resource: string) =>
    new S3Error('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405, {
      Method: method,
      ResourceType: resource,
    }),
  notImplemented: (what: string) =>
    new S3Error(
      'NotImplemented',
      `A header or query you provided implies functionality that is not implemented (the local S3 does not emulate ${what}).`,
      501,
    ),
  invalidLocationConstraint: () =>
    new S3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400),
  malformedPost: () =>
    new S3Error(
      'MalformedPOSTRequest',
      'The body of your POST request is not well-formed multipart/form-data.',
      400,
    ),
  notModified: () => new S3Error('NotModified', 'Not Modified', 304),
};
