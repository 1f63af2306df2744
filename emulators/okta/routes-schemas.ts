import { Router, type Request, type Response } from 'express';
import type { OktaContext } from './context';
import { SchemaValidationError } from './schema';
import { sendNotFound, sendOktaError } from './wire';

/** `GET/POST /api/v1/meta/schemas/user/{schemaId}`: the default user schema only. */
export function schemasRouter(ctx: OktaContext): Router {
  const router = Router();
  const { schema } = ctx.state;
  const known = (req: Request<{ schemaId: string }>, res: Response) => {
    const ok = req.params.schemaId === 'default' || req.params.schemaId === schema.id;
    if (!ok) sendNotFound(res, req.params.schemaId, 'UserSchema');
    return ok;
  };

  router.get('/api/v1/meta/schemas/user/:schemaId', (req, res) => {
    if (known(req, res)) res.json(schema.toJson(ctx.baseUrl(req)));
  });

  // A partial update: the properties named are added, changed or (set to null) removed.
  router.post('/api/v1/meta/schemas/user/:schemaId', (req, res) => {
    if (!known(req, res)) return;
    try {
      schema.update(req.body);
    } catch (err) {
      if (err instanceof SchemaValidationError) return sendOktaError(res, 400, 'E0000001', 'Api validation failed: userSchema', err.causes);
      throw err;
    }
    res.json(schema.toJson(ctx.baseUrl(req)));
  });

  return router;
}
