/** The one S3 API client builder (path-style, so any S3 server works), and where the bucket is. */
import { Client } from 'minio';
import type { Endpoints } from '../../runtime/contract/index.js';

/** An S3 bucket and how to reach and sign requests to it. */
export interface S3Location {
  endpoint: string;
  region: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
}

/** The bucket the endpoint variables name (S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_BUCKET). */
export function s3Location(endpoints: Endpoints): S3Location {
  return {
    endpoint: endpoints.S3_ENDPOINT,
    region: endpoints.S3_REGION,
    accessKey: endpoints.S3_ACCESS_KEY,
    secretKey: endpoints.S3_SECRET_KEY,
    bucket: endpoints.S3_BUCKET,
  };
}

export function createS3Client(location: S3Location): Client {
  const url = new URL(location.endpoint);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port || (useSSL ? 443 : 80)),
    useSSL,
    accessKey: location.accessKey,
    secretKey: location.secretKey,
    region: location.region,
    pathStyle: true,
  });
}
