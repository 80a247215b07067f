import { afterAll, describe, expect, it } from 'vitest';
import { createS3Client, s3Location } from '../../connectors/blob/s3-client.js';
import { readEndpoints } from '../../connectors/endpoints.js';
import { testNames } from '../support/resources.js';

const endpoints = readEndpoints();
const s3 = createS3Client(s3Location(endpoints));
const bucket = endpoints.S3_BUCKET;
const prefix = testNames(import.meta.url).objectPrefix();

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

afterAll(async () => {
  const keys: string[] = [];
  for await (const item of s3.listObjectsV2(bucket, prefix, true)) keys.push((item as { name: string }).name);
  if (keys.length) await s3.removeObjects(bucket, keys);
});

describe('S3 API blob store', () => {
  it('has the project bucket that stack up creates', async () => {
    expect(await s3.bucketExists(bucket)).toBe(true);
  });

  it('stores an object, reads it back and lists it under its prefix', async () => {
    const xml = Buffer.from('<data xmlns="http://openrosa.org/formdesigner/x"><name>Ada</name></data>');
    await s3.putObject(bucket, `${prefix}forms/f1/form.xml`, xml, xml.length, { 'Content-Type': 'text/xml' });

    expect(await readAll(await s3.getObject(bucket, `${prefix}forms/f1/form.xml`))).toEqual(xml);
    const stat = await s3.statObject(bucket, `${prefix}forms/f1/form.xml`);
    expect(stat.size).toBe(xml.length);
    expect(stat.metaData['content-type']).toBe('text/xml');
  });

  it('serves an object through a presigned URL without credentials, and only until it expires', async () => {
    const body = 'case_id,name\nc1,Ada\n';
    await s3.putObject(bucket, `${prefix}exports/e1.csv`, body);
    const link = await s3.presignedGetObject(bucket, `${prefix}exports/e1.csv`, 60);

    const response = await fetch(link);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(body);

    const tampered = new URL(link);
    tampered.searchParams.set('X-Amz-Expires', '3600');
    expect((await fetch(tampered)).status).toBe(403);
  });
});
