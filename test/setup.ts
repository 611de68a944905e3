import 'aws-sdk-client-mock-vitest/extend';
import { fixFastCheckSeed } from './support/fast-check';

// Every property test runs from a fixed seed (FUZZ_SEED overrides it).
fixFastCheckSeed();
