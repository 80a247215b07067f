/** The S3 API client built from the endpoint configuration (path-style, so any S3 server works). */
import { Client } from 'minio';
import type { Endpoints } from '../endpoints.js';

export function createS3Client(endpoints: Endpoints): Client {
  const url = new URL(endpoints.S3_ENDPOINT);
  const useSSL = url.protocol === 'https:';
  return new Client({
    endPoint: url.hostname,
    port: Number(url.port || (useSSL ? 443 : 80)),
    useSSL,
    accessKey: endpoints.S3_ACCESS_KEY,
    secretKey: endpoints.S3_SECRET_KEY,
    region: endpoints.S3_REGION,
    pathStyle: true,
  });
}
