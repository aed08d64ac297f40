/**
 * Chaos with the streaming lane on (issue 20): sessions are bound to the runner holding their decoder states while
 * runners, edges and Redis are killed and restarted; a gone runner's sessions move and their utterances are rebuilt
 * from the start elsewhere. The transcripts must still equal the fault-free run's (also on the streaming lane).
 */
import { chaosSuite } from './chaos-suite.ts';

chaosSuite('chaos, streaming lane', { EARSHOT_STT_LANE: 'streaming' });
