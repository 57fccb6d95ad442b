"""Tiny random-weight models built in code (the way diffusers' and transformers' own test suites
do), saved as a user's real checkpoint would be: a diffusers pipeline folder, a transformers
model folder, a LoRA .safetensors file. Outputs are noise; every code path is the real one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte-level alphabet: every byte gets a printable unicode character."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs], strict=True))


def tokenizer(folder: Path) -> Any:
    """A byte-level CLIP tokenizer with no merges, written as vocab.json + merges.txt."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for ch in _bytes_to_unicode().values():
        for token in (ch, ch + "</w>"):
            vocab.setdefault(token, len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab))
    (folder / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer.from_pretrained(str(folder), model_max_length=77)


def _text_encoder(tok: Any) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(CLIPTextConfig(
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
        hidden_size=32, intermediate_size=37, layer_norm_eps=1e-5, num_attention_heads=4, num_hidden_layers=5,
        vocab_size=len(tok) + 8, max_position_embeddings=77, projection_dim=32,
    ))


def unet(in_channels: int = 4) -> Any:
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=in_channels, out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"), up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32, norm_num_groups=8,
    )


def _vae() -> Any:
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        block_out_channels=[32, 64], in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"], latent_channels=4, norm_num_groups=8,
    )


def _scheduler() -> Any:
    from diffusers import DDIMScheduler

    return DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                         set_alpha_to_one=False, steps_offset=1)


def build_sd(folder: Path, *, seed: int = 0) -> Path:
    """A tiny StableDiffusionPipeline (64 px native) saved as a diffusers folder."""
    import torch
    from diffusers import StableDiffusionPipeline

    torch.manual_seed(seed)
    tok = tokenizer(folder.parent / f"{folder.name}-tokenizer")
    pipe = StableDiffusionPipeline(vae=_vae(), text_encoder=_text_encoder(tok), tokenizer=tok, unet=unet(),
                                   scheduler=_scheduler(), safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.save_pretrained(str(folder))
    return folder


def build_pix2pix(folder: Path) -> Path:
    """A tiny StableDiffusionInstructPix2PixPipeline (8-channel UNet input: latents + image)."""
    import torch
    from diffusers import StableDiffusionInstructPix2PixPipeline

    torch.manual_seed(1)
    tok = tokenizer(folder.parent / f"{folder.name}-tokenizer")
    pipe = StableDiffusionInstructPix2PixPipeline(
        vae=_vae(), text_encoder=_text_encoder(tok), tokenizer=tok, unet=unet(in_channels=8),
        scheduler=_scheduler(), safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.save_pretrained(str(folder))
    return folder


def build_lora(folder: Path, filename: str = "camera-angles.safetensors") -> Path:
    """A rank-4 LoRA on the tiny UNet's attention projections, made with peft, saved as safetensors."""
    import torch
    from diffusers import StableDiffusionPipeline
    from diffusers.utils import convert_state_dict_to_diffusers
    from peft import LoraConfig
    from peft.utils import get_peft_model_state_dict

    torch.manual_seed(2)
    model = unet()
    model.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights=False,
                                 target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    with torch.no_grad():  # strong enough that the effect on a 2-step image is unmistakable
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.mul_(20.0)
    layers = convert_state_dict_to_diffusers(get_peft_model_state_dict(model))
    folder.mkdir(parents=True, exist_ok=True)
    StableDiffusionPipeline.save_lora_weights(save_directory=str(folder), unet_lora_layers=layers,
                                              weight_name=filename, safe_serialization=True)
    return folder / filename


def build_dpt(folder: Path) -> Path:
    """A tiny DPTForDepthEstimation with its image processor."""
    import torch
    from transformers import DPTConfig, DPTForDepthEstimation, DPTImageProcessor

    torch.manual_seed(3)
    config = DPTConfig(image_size=32, patch_size=8, num_channels=3, hidden_size=32, num_hidden_layers=4,
                       num_attention_heads=4, intermediate_size=37, backbone_out_indices=[0, 1, 2, 3],
                       neck_hidden_sizes=[16, 16, 32, 32], fusion_hidden_size=16, reassemble_factors=[4, 2, 1, 0.5],
                       is_hybrid=False, head_in_index=-1)
    DPTForDepthEstimation(config).save_pretrained(str(folder))
    DPTImageProcessor(size={"height": 32, "width": 32}, keep_aspect_ratio=False).save_pretrained(str(folder))
    return folder


def build_swin2sr(folder: Path) -> Path:
    """A tiny 2x Swin2SRForImageSuperResolution with its image processor."""
    import torch
    from transformers import Swin2SRConfig, Swin2SRForImageSuperResolution, Swin2SRImageProcessor

    torch.manual_seed(4)
    config = Swin2SRConfig(image_size=32, patch_size=1, num_channels=3, embed_dim=16, depths=[1, 1],
                           num_heads=[2, 2], window_size=4, mlp_ratio=2.0, upscale=2, img_range=1.0,
                           upsampler="pixelshuffle", resi_connection="1conv")
    Swin2SRForImageSuperResolution(config).save_pretrained(str(folder))
    Swin2SRImageProcessor(pad_size=4).save_pretrained(str(folder))
    return folder


def build_svd(folder: Path) -> Path:
    """A tiny StableVideoDiffusionPipeline (image to video)."""
    import torch
    from diffusers import (
        AutoencoderKLTemporalDecoder,
        EulerDiscreteScheduler,
        StableVideoDiffusionPipeline,
        UNetSpatioTemporalConditionModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(5)
    net = UNetSpatioTemporalConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=8, out_channels=4,
        down_block_types=("CrossAttnDownBlockSpatioTemporal", "DownBlockSpatioTemporal"),
        up_block_types=("UpBlockSpatioTemporal", "CrossAttnUpBlockSpatioTemporal"),
        cross_attention_dim=32, num_attention_heads=8, projection_class_embeddings_input_dim=96,
        addition_time_embed_dim=32,
    )
    scheduler = EulerDiscreteScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012,
                                       interpolation_type="linear", num_train_timesteps=1000,
                                       prediction_type="v_prediction", sigma_max=700.0, sigma_min=0.002,
                                       steps_offset=1, timestep_spacing="leading", timestep_type="continuous",
                                       use_karras_sigmas=True)
    vae = AutoencoderKLTemporalDecoder(block_out_channels=[32, 64], in_channels=3, out_channels=3,
                                       down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
                                       latent_channels=4)
    encoder = CLIPVisionModelWithProjection(CLIPVisionConfig(
        hidden_size=32, projection_dim=32, num_hidden_layers=5, num_attention_heads=4, image_size=224,
        intermediate_size=37, patch_size=32))  # the pipeline always resizes its conditioning image to 224
    processor = CLIPImageProcessor(crop_size=224, size=224)
    pipe = StableVideoDiffusionPipeline(vae=vae, image_encoder=encoder, unet=net, scheduler=scheduler,
                                        feature_extractor=processor)
    pipe.save_pretrained(str(folder))
    return folder


def build_t2v(folder: Path) -> Path:
    """A tiny TextToVideoSDPipeline (ModelScope's text-to-video layout): a 3D UNet over the tiny SD
    text encoder, tokenizer, VAE and scheduler; 64 px native."""
    import torch
    from diffusers import TextToVideoSDPipeline, UNet3DConditionModel

    torch.manual_seed(6)
    tok = tokenizer(folder.parent / f"{folder.name}-tokenizer")
    net = UNet3DConditionModel(
        block_out_channels=(32, 64), layers_per_block=1, sample_size=32, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock3D", "DownBlock3D"), up_block_types=("UpBlock3D", "CrossAttnUpBlock3D"),
        cross_attention_dim=32, attention_head_dim=8, norm_num_groups=8,
    )
    pipe = TextToVideoSDPipeline(vae=_vae(), text_encoder=_text_encoder(tok), tokenizer=tok, unet=net,
                                 scheduler=_scheduler())
    pipe.save_pretrained(str(folder))
    return folder
