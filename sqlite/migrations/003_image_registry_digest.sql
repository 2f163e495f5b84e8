-- 002_image_registry_digest: the registry digest an external image
-- (--image-name) resolved to when it was deployed, sha256:…; '' for
-- packaged images and for external images recorded before this migration.
ALTER TABLE deploys ADD COLUMN image_registry_digest TEXT NOT NULL DEFAULT '';
