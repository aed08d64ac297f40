/** Chaos on the stateless lane (the default): see chaos-suite.ts. */
import { chaosSuite } from './chaos-suite.ts';

chaosSuite('chaos');
