import { dependenciesFromEnvironment } from '../../shared/dependencies.js';
import { createRenameByIdHandler } from './create-handler.js';

export const handler = createRenameByIdHandler(dependenciesFromEnvironment());
