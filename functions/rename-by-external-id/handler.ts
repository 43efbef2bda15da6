import { dependenciesFromEnvironment } from '../../shared/dependencies.js';
import { createRenameByExternalIdHandler } from './create-handler.js';

export const handler = createRenameByExternalIdHandler(dependenciesFromEnvironment());
