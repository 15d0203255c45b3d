-- Argo CD health check for certification.modelcert.io/ModelCertificationSet.
-- Healthy while Ready is True (every certification certified, also while one is re-certified);
-- Degraded while Stalled is True (a region failed discovery, a name is taken, or nothing runs
-- and some certification is not certified); Suspended when suspended; Progressing otherwise
-- (before the first discovery, while the operator has not observed the latest spec, or while
-- certifications without a certified verdict run).
hs = {}

local function condition(typ)
  if obj.status ~= nil and obj.status.conditions ~= nil then
    for _, c in ipairs(obj.status.conditions) do
      if c.type == typ then
        return c
      end
    end
  end
  return nil
end

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator"
  return hs
end
if obj.metadata.generation ~= nil and obj.status.observedGeneration ~= obj.metadata.generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe the latest spec"
  return hs
end

local ready = condition("Ready")
local stalled = condition("Stalled")
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
elseif stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
elseif obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = "Discovery is suspended"
else
  hs.status = "Progressing"
  if ready ~= nil then
    hs.message = ready.message
  end
end
return hs
