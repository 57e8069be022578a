export { startS3, type TestS3 } from '@frameproof/tests/s3';
