import { describe, expect, it } from 'vitest';
import { readCaseSearchConfigs } from './case-search-config-folder.js';

describe('the case search configuration folder', () => {
  it('reads the shipped configurations by domain', async () => {
    const configs = await readCaseSearchConfigs('pipelines/search/case-search');
    expect(configs.get('demo')).toMatchObject({
      fuzzy_properties: [{ case_type: 'member' }, { case_type: 'household' }],
    });
  });

  it('has none where the folder does not exist', async () => {
    expect((await readCaseSearchConfigs('pipelines/search/no-such-folder')).size).toBe(0);
  });
});
